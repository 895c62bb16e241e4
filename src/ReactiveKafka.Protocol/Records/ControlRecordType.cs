namespace ReactiveKafka.Protocol.Records;

/// <summary>The type in a control record's key. Other values exist (KRaft uses some); they are kept as numbers.</summary>
public enum ControlRecordType : short
{
    /// <summary>A transaction was aborted.</summary>
    Abort = 0,

    /// <summary>A transaction was committed.</summary>
    Commit = 1,
}
