namespace ReactiveKafka.Protocol.Generator;

/// <summary>Finds the repository root, so the tool works from any directory inside it.</summary>
internal static class RepositoryRoot
{
    public const string DefaultSpecDir = "src/ReactiveKafka.Protocol/Specs";
    public const string DefaultOutDir = "src/ReactiveKafka.Protocol/Generated";

    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ReactiveKafka.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        // Outside the repository, relative paths mean the current directory.
        return Directory.GetCurrentDirectory();
    }
}
