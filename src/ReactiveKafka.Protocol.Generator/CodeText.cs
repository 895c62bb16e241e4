using System.Text;

namespace ReactiveKafka.Protocol.Generator;

/// <summary>An indenting text builder for generated C#, with "\n" line endings on every platform.</summary>
internal sealed class CodeText
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeText Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4).Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace, and indents.</summary>
    public CodeText Open(string header, string brace = "{")
    {
        if (header.Length > 0)
        {
            Line(header);
        }

        Line(brace);
        _indent++;
        return this;
    }

    /// <summary>Outdents and writes a closing brace.</summary>
    public CodeText Close(string suffix = "", string brace = "}")
    {
        _indent--;
        return Line(brace + suffix);
    }

    /// <summary>Writes a one-line XML doc summary.</summary>
    public CodeText Summary(string escapedText) => Line($"/// <summary>{escapedText}</summary>");

    public override string ToString() => _text.ToString();

    /// <summary>Escapes text for XML doc comments and flattens it onto one line.</summary>
    public static string XmlEscape(string text) =>
        string.Join(' ', text.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()))
            .Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);
}
