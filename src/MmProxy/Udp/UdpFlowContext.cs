using Microsoft.Extensions.Logging;

namespace MmProxy.Udp;

/// <summary>What every flow shares: the clock, the idle limit, counters, the per-flow logger and its rate limits.</summary>
internal sealed class UdpFlowContext
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(1);

    public UdpFlowContext(TimeSpan closeAfter, TimeProvider time, UdpCounters counters, ILogger log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(closeAfter, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(log);
        CloseAfter = closeAfter;
        Time = time;
        Counters = counters;
        Log = log;
        RefusedLog = new LogRateLimiter(time, LogInterval);
        ReplyLog = new LogRateLimiter(time, LogInterval);
        SendLog = new LogRateLimiter(time, LogInterval);
    }

    public TimeSpan CloseAfter { get; }

    public TimeProvider Time { get; }

    public UdpCounters Counters { get; }

    public ILogger Log { get; }

    public LogRateLimiter RefusedLog { get; }

    public LogRateLimiter ReplyLog { get; }

    public LogRateLimiter SendLog { get; }
}
