using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Loop;

namespace MmProxy.Tcp;

/// <summary>
/// What every phase of one <see cref="TcpLoop"/> shares: the listener's settings, the loop's clock,
/// its connections and timeouts, the scratch buffer the loop thread reads into, and the counters
/// and loggers. Set up once per loop; the phases hold no connection state of their own.
/// </summary>
internal sealed class TcpLoopContext
{
    /// <summary>Small relay reads and the first header read go through it.</summary>
    public const int ScratchSize = 64 * 1024;

    public TcpLoopContext(ProxyOptions options, LoopClock clock, TcpConnectionPool pool, ProxyCounters counters, ILogger connectionLog, ILogger proxyLog)
    {
        Options = options;
        Clock = clock;
        Pool = pool;
        Timeouts = new TcpTimeouts(clock, options);
        Counters = counters;
        Log = connectionLog;
        ProxyLog = proxyLog;
    }

    public ProxyOptions Options { get; }

    public LoopClock Clock { get; }

    public TcpConnectionPool Pool { get; }

    public TcpTimeouts Timeouts { get; }

    /// <summary>Pinned, so the native calls that read into it need no pinning of their own.</summary>
    public byte[] Scratch { get; } = GC.AllocateUninitializedArray<byte>(ScratchSize, pinned: true);

    public ProxyCounters Counters { get; }

    /// <summary>Per-connection events ("mmproxy.connection").</summary>
    public ILogger Log { get; }

    /// <summary>Process-level events ("mmproxy").</summary>
    public ILogger ProxyLog { get; }
}
