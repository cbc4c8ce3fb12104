namespace MmProxy.Tcp;

/// <summary>The idle timeout: a periodic check of the last activity, then a reset of both sides.</summary>
internal sealed partial class TcpRelay
{
    private ITimer? _idleTimer;
    private long _idleTimeoutTicks;
    private int _idleTimedOut;

    public bool IdleTimedOut => Volatile.Read(ref _idleTimedOut) != 0;

    /// <summary>Aborts the relay once neither side sent anything for <paramref name="timeout"/>.</summary>
    public void StartIdleTimer(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _idleTimeoutTicks = (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        // Checking four times per timeout bounds the overshoot to a quarter of it.
        TimeSpan period = timeout / 4;
        _idleTimer = _time.CreateTimer(static state => ((TcpRelay)state!).CheckIdle(), this, period, period);
    }

    private void CheckIdle()
    {
        long idle = _time.GetTimestamp() - Volatile.Read(ref _lastActivity);
        if (idle >= _idleTimeoutTicks && !IsAborted)
        {
            Volatile.Write(ref _idleTimedOut, 1);
            StopIdleTimer();
            Abort();
        }
    }

    private void StopIdleTimer() => Interlocked.Exchange(ref _idleTimer, null)?.Dispose();
}
