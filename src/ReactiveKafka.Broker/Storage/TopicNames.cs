namespace ReactiveKafka.Broker.Storage;

/// <summary>Kafka's topic name rules (<c>org.apache.kafka.common.internals.Topic</c>). Stateless.</summary>
internal static class TopicNames
{
    /// <summary>The longest legal topic name: 255 minus room for a partition suffix and a delete marker.</summary>
    public const int MaxLength = 249;

    /// <summary>Returns null when <paramref name="name"/> is a legal topic name, else why not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Topic name is illegal, it can't be empty.";
        }

        if (name is "." or "..")
        {
            return "Topic name cannot be \".\" or \"..\".";
        }

        if (name.Length > MaxLength)
        {
            return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}.";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'.";
            }
        }

        return null;
    }

    /// <summary>
    /// The form under which two names collide in Kafka's metrics ('.' and '_' are the same there);
    /// Kafka refuses a topic whose collision form matches an existing topic's.
    /// </summary>
    public static string CollisionForm(string name) => name.Replace('.', '_');
}
