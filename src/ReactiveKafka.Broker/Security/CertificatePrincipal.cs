using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// The principal of a TLS client certificate as Kafka's default principal builder names it
/// (<c>ssl.principal.mapping.rules=DEFAULT</c>): <c>User:</c> and the subject in RFC 2253 form, most specific first,
/// e.g. <c>User:CN=alice,OU=eng,O=Example</c>.
/// </summary>
internal static class CertificatePrincipal
{
    /// <summary>Kafka's principal for a client that did not authenticate.</summary>
    public const string Anonymous = "User:ANONYMOUS";

    /// <summary>The principal of <paramref name="certificate"/>.</summary>
    public static string Of(X509Certificate2 certificate) => "User:" + Rfc2253(certificate.SubjectName);

    /// <summary>The distinguished name in RFC 2253 form.</summary>
    public static string Rfc2253(X500DistinguishedName name)
    {
        var text = new StringBuilder();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: true))
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            var oid = rdn.GetSingleElementType().Value;
            text.Append(Keyword(oid)).Append('=').Append(Escape(rdn.GetSingleElementValue() ?? ""));
        }

        return text.ToString();
    }

    private static string Keyword(string? oid) => oid switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => oid ?? "?",
    };

    private static string Escape(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' || (i == 0 && c is '#' or ' ') || (i == value.Length - 1 && c == ' '))
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.ToString();
    }
}
