namespace MmProxy.Loop;

/// <summary>
/// A loop's clock: the injected <see cref="TimeProvider"/>'s timestamp, read once per iteration
/// (<see cref="Now"/>), and the conversions deadlines need. Production passes
/// <see cref="TimeProvider.System"/>; tests pass a fake clock and move it by hand.
/// </summary>
internal sealed class LoopClock
{
    private readonly TimeProvider _time;

    public LoopClock(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        Frequency = time.TimestampFrequency;
        Now = time.GetTimestamp();
    }

    /// <summary>Timestamp ticks per second.</summary>
    public long Frequency { get; }

    /// <summary>The time of the current iteration, in timestamp ticks.</summary>
    public long Now { get; private set; }

    public TimeProvider Time => _time;

    /// <summary>Reads the clock again (after a wait, or after a slow step such as opening a socket).</summary>
    public long Update() => Now = _time.GetTimestamp();

    /// <summary>A duration in ticks, at least 1 (a deadline is never "now" by rounding).</summary>
    public long Ticks(TimeSpan duration) => Math.Max(1, (long)(duration.TotalSeconds * Frequency));

    /// <summary>Ticks as whole milliseconds (logs).</summary>
    public long Milliseconds(long ticks) => (long)(ticks * 1000.0 / Frequency);

    /// <summary>
    /// The epoll_wait timeout until <paramref name="deadline"/>: -1 for none (<see cref="long.MaxValue"/>),
    /// 0 when due, otherwise milliseconds rounded up so a deadline is never handled early.
    /// </summary>
    public int TimeoutUntil(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return -1;
        }

        long remaining = deadline - _time.GetTimestamp();
        if (remaining <= 0)
        {
            return 0;
        }

        return (int)Math.Min(Math.Ceiling(remaining * 1000.0 / Frequency), int.MaxValue);
    }
}
