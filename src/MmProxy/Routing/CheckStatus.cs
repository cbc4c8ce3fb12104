namespace MmProxy.Routing;

/// <summary>The verdict of one check.</summary>
internal enum CheckStatus
{
    Ok,
    Failed,

    /// <summary>Does not apply here (for example no IPv6 on this host, or a target on another host).</summary>
    Skipped,
}
