namespace ReactiveKafka;

/// <summary>Where a hosted pipeline is in its life.</summary>
public enum KafkaPipelineState
{
    /// <summary>Registered; the host has not started it yet.</summary>
    NotStarted,

    /// <summary>Receiving and processing records.</summary>
    Running,

    /// <summary>Failed; waiting to restart (<see cref="KafkaPipelineOptions.RestartOnFailure"/>).</summary>
    Restarting,

    /// <summary>Failed for good (no restart configured): <see cref="IKafkaPipeline.LastError"/> says why.</summary>
    Failed,

    /// <summary>The host is stopping it: no new record is taken, those in flight finish and are committed.</summary>
    Draining,

    /// <summary>Stopped: its records acknowledged and committed, the consumer out of the group.</summary>
    Stopped,
}
