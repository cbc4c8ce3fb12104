using MmProxy.Interop;

namespace MmProxy.Tcp;

/// <summary>
/// Chooses the process-wide relay pump: splice(2) by default, the copy pump when
/// MMPROXY_RELAY=copy (diagnostics, benchmarks) or when no pipe can be created.
/// </summary>
internal static class RelayPumpFactory
{
    public const string EnvironmentVariable = "MMPROXY_RELAY";

    /// <summary>Idle pipes kept for reuse: enough for bursts of short connections on a few cores.</summary>
    private const int MaxIdlePipes = 256;

    private static RelayPump? _default;

    /// <summary>The pump new connections use (created once, on first use).</summary>
    public static RelayPump Default => Volatile.Read(ref _default) ?? CreateDefault();

    private static RelayPump CreateDefault()
    {
        RelayPump pump = Create(Environment.GetEnvironmentVariable(EnvironmentVariable));
        return Interlocked.CompareExchange(ref _default, pump, null) ?? pump;
    }

    /// <summary>MMPROXY_PIPE_SIZE (bytes, for measurements): the pipe size to ask for; 0 = the kernel default (64 KiB).</summary>
    public static int PipeSizeFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("MMPROXY_PIPE_SIZE"), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int size) ? size : 0;

    /// <summary>"copy" → the copy pump; anything else → splice when pipes work here.</summary>
    public static RelayPump Create(string? mode)
    {
        if (string.Equals(mode, "copy", StringComparison.OrdinalIgnoreCase))
        {
            return CopyRelayPump.Instance;
        }

        var pipes = new PipePool(MaxIdlePipes, PipeSizeFromEnvironment());
        SplicePipe? probe = pipes.Rent(out _);
        if (probe is null)
        {
            pipes.Dispose();
            return CopyRelayPump.Instance;
        }

        pipes.Return(probe, empty: true);
        return new SpliceRelayPump(pipes);
    }
}
