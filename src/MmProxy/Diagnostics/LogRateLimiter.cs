namespace MmProxy.Diagnostics;

/// <summary>
/// Lets one message through per interval and counts the ones held back, so a flood of bad
/// datagrams costs a counter increment each, not a log line each. Thread-safe, allocation-free.
/// </summary>
internal sealed class LogRateLimiter(TimeProvider time, TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _next = long.MinValue;
    private long _suppressed;

    /// <summary>True when a message may be written; <paramref name="suppressed"/> = how many were held back since the last one.</summary>
    public bool TryEnter(out long suppressed)
    {
        long now = time.GetTimestamp();
        long next = Volatile.Read(ref _next);
        if (now < next || Interlocked.CompareExchange(ref _next, now + _intervalTicks, next) != next)
        {
            Interlocked.Increment(ref _suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return true;
    }
}
