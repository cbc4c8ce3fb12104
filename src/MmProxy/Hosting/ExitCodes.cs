namespace MmProxy.Hosting;

/// <summary>Process exit statuses (a non-zero status lets systemd's Restart=on-failure act).</summary>
internal static class ExitCodes
{
    /// <summary>Stopped by SIGINT/SIGTERM.</summary>
    public const int Success = 0;

    /// <summary>Startup failed or the proxy died (a listener could not accept any more).</summary>
    public const int Failure = 1;

    /// <summary>Invalid command line, as Go's flag package.</summary>
    public const int Usage = 2;
}
