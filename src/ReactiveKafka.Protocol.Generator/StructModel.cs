namespace ReactiveKafka.Protocol.Generator;

/// <summary>
/// A class to emit: the message itself or one of its structs. <see cref="Context"/> is the set of
/// versions in which the class can be read or written at all, which lets version checks fold.
/// </summary>
internal sealed record StructModel(string ClassName, IReadOnlyList<FieldSpec> Fields, VersionRange Context, string Summary);

/// <summary>
/// Resolves a message's structs (inline <c>fields</c> and <c>commonStructs</c>) into nested classes,
/// naming each by its spec type name and checking for names C# would reject.
/// </summary>
internal sealed class MessageModel
{
    // Names the generated message class already uses, or that generated code refers to unqualified.
    private static readonly HashSet<string> ReservedNames =
    [
        "Write", "Read", "ApiKey", "LowestSupportedVersion", "HighestSupportedVersion", "IsFlexible",
        "UnknownTaggedFields", "List", "Guid", "ReadOnlyMemory", "ProtocolWriter", "ProtocolReader",
        "RawTaggedField", "ProtocolField", "ProtocolFieldAttribute", "TaggedFieldEncoding",
    ];

    private readonly Dictionary<string, string> _classNames = new(StringComparer.Ordinal);

    public MessageModel(MessageSpec spec)
    {
        Spec = spec;
        var topLevelNames = spec.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var structs = new List<StructModel>();
        var common = spec.CommonStructs.ToDictionary(s => s.Name, StringComparer.Ordinal);

        string ClassNameFor(string typeName, IReadOnlyList<FieldSpec>? ownFields = null)
        {
            // A nested class cannot share its name with a property of the message class (CS0102), with the message
            // itself (CS0542), or with one of its own properties (CS0542: DescribeTransactionsResponse's
            // TransactionState struct has a TransactionState field); such structs get a "Data" suffix.
            var name = typeName;
            bool Taken(string candidate) => topLevelNames.Contains(candidate) || candidate == spec.Name || ReservedNames.Contains(candidate)
                || ownFields?.Any(f => f.Name == candidate) == true;
            if (Taken(name))
            {
                name += "Data";
            }

            if (Taken(name))
            {
                throw new InvalidDataException($"{spec.Name}: cannot find a class name for struct {typeName}.");
            }

            return name;
        }

        // Common structs can be referenced from anywhere, so their context is the whole message's.
        foreach (var common_ in spec.CommonStructs)
        {
            _classNames.Add(common_.Name, ClassNameFor(common_.Name, common_.Fields));
        }

        void Collect(IReadOnlyList<FieldSpec> fields, VersionRange context)
        {
            foreach (var field in fields)
            {
                var type = TypeMapper.Parse(field.Type);
                if (!type.IsStruct)
                {
                    if (field.Fields is not null)
                    {
                        throw new InvalidDataException($"{spec.Name}.{field.Name}: a {field.Type} field cannot have fields.");
                    }

                    continue;
                }

                var fieldContext = field.Versions.Intersect(context);
                if (field.Fields is null)
                {
                    if (!common.ContainsKey(type.StructName!))
                    {
                        throw new InvalidDataException($"{spec.Name}.{field.Name}: unknown struct type {type.StructName}.");
                    }

                    continue;
                }

                if (_classNames.ContainsKey(type.StructName!))
                {
                    throw new InvalidDataException($"{spec.Name}: struct {type.StructName} is declared twice.");
                }

                var className = ClassNameFor(type.StructName!, field.Fields);
                _classNames.Add(type.StructName!, className);
                structs.Add(new StructModel(className, field.Fields, fieldContext, StructSummary(field)));
                Collect(field.Fields, fieldContext);
            }
        }

        var root = new StructModel(spec.Name, spec.Fields, spec.ValidVersions, "");
        Collect(spec.Fields, spec.ValidVersions);
        foreach (var common_ in spec.CommonStructs)
        {
            var context = common_.Versions.Intersect(spec.ValidVersions);
            structs.Add(new StructModel(_classNames[common_.Name], common_.Fields, context, $"The common struct <c>{common_.Name}</c>."));
            Collect(common_.Fields, context);
        }

        Root = root;
        Structs = structs;
        foreach (var model in structs.Append(root))
        {
            foreach (var field in model.Fields)
            {
                if (field.Name == model.ClassName || ReservedNames.Contains(field.Name) && field.Name != "ApiKey" || field.Name == "ApiKey" && model == root)
                {
                    throw new InvalidDataException($"{spec.Name}: field {model.ClassName}.{field.Name} has a name C# or the generated code cannot use.");
                }

                // Kafka's rule too: once tagged, a field stays tagged, so the fixed layout is a prefix.
                if (field.IsTaggedAnywhere && (field.Tag is null || field.TaggedVersions.Max < field.Versions.Max))
                {
                    throw new InvalidDataException($"{spec.Name}: tagged field {model.ClassName}.{field.Name} needs a tag and open-ended taggedVersions.");
                }
            }
        }
    }

    public MessageSpec Spec { get; }

    public StructModel Root { get; }

    public IReadOnlyList<StructModel> Structs { get; }

    /// <summary>The C# class for a spec struct type name.</summary>
    public string ClassName(string structTypeName) => _classNames[structTypeName];

    private static string StructSummary(FieldSpec field)
    {
        var about = string.IsNullOrWhiteSpace(field.About) ? "" : " " + field.About.Trim();
        return $"The value type of <c>{field.Name}</c>.{CodeText.XmlEscape(about)}";
    }
}
