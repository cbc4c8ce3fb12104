using MmProxy.Interop;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// Picks the TCP engine: MMPROXY_ENGINE=loop or =sockets (diagnostics, benchmarks); otherwise the
/// default. The loop needs <see cref="Epoll.IsSupported"/> (Linux x86-64) and falls back otherwise.
/// </summary>
internal static class TcpEngineSelection
{
    public const string EnvironmentVariable = "MMPROXY_ENGINE";

    /// <summary>
    /// The engine used when MMPROXY_ENGINE is not set: the loop (the whole test suite passes with
    /// it; bench/RESULTS.md has the figures). Sockets stays selectable.
    /// </summary>
    public const TcpEngine Default = TcpEngine.Loop;

    /// <summary>The engine for this process (read from the environment each call; cheap, called per listener start).</summary>
    public static TcpEngine Current => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    public static TcpEngine Parse(string? value)
    {
        TcpEngine wanted = value switch
        {
            _ when string.Equals(value, "loop", StringComparison.OrdinalIgnoreCase) => TcpEngine.Loop,
            _ when string.Equals(value, "sockets", StringComparison.OrdinalIgnoreCase) => TcpEngine.Sockets,
            _ => Default,
        };
        return wanted == TcpEngine.Loop && !Epoll.IsSupported ? TcpEngine.Sockets : wanted;
    }
}
