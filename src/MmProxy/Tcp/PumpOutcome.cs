namespace MmProxy.Tcp;

/// <summary>How one direction of a relay ended.</summary>
internal enum PumpOutcome
{
    /// <summary>The source sent FIN; it was passed on as shutdown(SHUT_WR).</summary>
    Completed,

    /// <summary>Reading the source failed (reset, or another error).</summary>
    SourceFailed,

    /// <summary>Writing the destination failed (reset or closed by its peer).</summary>
    DestinationFailed,

    /// <summary>The relay was aborted from elsewhere (the other direction failed, idle timeout, shutdown).</summary>
    Aborted,
}
