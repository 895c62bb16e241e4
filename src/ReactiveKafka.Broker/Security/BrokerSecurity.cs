using Microsoft.Extensions.Logging;

namespace ReactiveKafka.Broker.Security;

/// <summary>
/// What authentication needs across connections: the SASL settings, the stored SCRAM credentials and the log of
/// failed logins. Made once at start; thread-safe.
/// </summary>
internal sealed class BrokerSecurity
{
    private BrokerSecurity(BrokerSaslOptions sasl, ScramCredentialStore credentials, TimeProvider time, ILogger logger)
    {
        Sasl = sasl;
        Credentials = credentials;
        Time = time;
        Logger = logger;
    }

    /// <summary>The SASL settings (defaults when none are configured).</summary>
    public BrokerSaslOptions Sasl { get; }

    /// <summary>The users' SCRAM credentials.</summary>
    public ScramCredentialStore Credentials { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Where authentication failures are logged.</summary>
    public ILogger Logger { get; }

    /// <summary>
    /// Opens the credential store and makes the configured users' credentials: a user whose stored credential does not
    /// verify the configured password (or has none) gets a new one for each SCRAM mechanism.
    /// </summary>
    public static BrokerSecurity Open(BrokerOptions options, ILoggerFactory loggerFactory)
    {
        var sasl = options.Sasl ?? new BrokerSaslOptions();
        var store = ScramCredentialStore.Open(options.DataDirectory);
        var upserts = new List<(string, ScramCredential)>();
        foreach (var (user, password) in sasl.Users ?? new Dictionary<string, string>())
        {
            foreach (var mechanism in ScramMechanism.All)
            {
                var stored = store.Find(user, mechanism);
                if (stored is null || stored.Iterations != sasl.ScramIterations || !mechanism.Verifies(stored, password))
                {
                    upserts.Add((user, mechanism.NewCredential(password, sasl.ScramIterations)));
                }
            }
        }

        if (upserts.Count > 0)
        {
            store.Apply([], upserts);
        }

        return new BrokerSecurity(sasl, store, options.TimeProvider, loggerFactory.CreateLogger("ReactiveKafka.Broker.Security"));
    }

    /// <summary>Whether <paramref name="mechanism"/> is enabled.</summary>
    public bool IsEnabled(string? mechanism) => mechanism is not null && Sasl.Mechanisms.Contains(mechanism, StringComparer.Ordinal);

    /// <summary>A new server for one exchange of an enabled mechanism.</summary>
    public ISaslServer CreateServer(string mechanism) => mechanism switch
    {
        BrokerSaslOptions.Plain => new PlainSaslServer(Credentials),
        BrokerSaslOptions.OAuthBearer => new OAuthBearerUnsecuredSaslServer(Sasl, Time),
        _ => new ScramSaslServer(ScramMechanism.ByName(mechanism) ?? throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "Not a SCRAM mechanism."), Credentials),
    };
}
