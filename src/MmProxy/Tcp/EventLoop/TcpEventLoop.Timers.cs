using MmProxy.Configuration;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// Timeouts without timer objects: one FIFO per kind (header, connect, idle), each ordered by
/// deadline because every timeout of a kind has one duration; the epoll_wait timeout is the
/// earliest deadline. Idle deadlines are not moved on every byte: on expiry a connection that was
/// active since is re-queued at last activity + timeout.
/// </summary>
internal sealed partial class TcpEventLoop
{
    private readonly DeadlineQueue _headerQueue = new();
    private readonly DeadlineQueue _connectQueue = new();
    private readonly DeadlineQueue _idleQueue = new();
    private TimeSpan? _idleTimeout;
    private long _idleTimeoutMs;

    private void InitializeTimers(ProxyOptions options)
    {
        _idleTimeout = options.IdleTimeout;
        _idleTimeoutMs = options.IdleTimeout is { } idle ? Math.Max(1, (long)idle.TotalMilliseconds) : 0;
    }

    /// <summary>Milliseconds until the earliest deadline (or accept resumption); -1: none.</summary>
    private int NextTimeoutMs()
    {
        if (HasReadyWork)
        {
            return 0;
        }

        long next = long.MaxValue;
        next = Math.Min(next, _headerQueue.NextDeadline ?? long.MaxValue);
        next = Math.Min(next, _connectQueue.NextDeadline ?? long.MaxValue);
        next = Math.Min(next, _idleQueue.NextDeadline ?? long.MaxValue);
        if (_acceptResumeAt != 0)
        {
            next = Math.Min(next, _acceptResumeAt);
        }

        if (next == long.MaxValue)
        {
            return -1;
        }

        long wait = next - Environment.TickCount64;
        return wait <= 0 ? 0 : (int)Math.Min(wait, int.MaxValue);
    }

    private void RunTimers()
    {
        while (_headerQueue.DequeueExpired(_now) is { } header)
        {
            Expire(header.Owner!, TimeoutKind.Header);
        }

        while (_connectQueue.DequeueExpired(_now) is { } connect)
        {
            Expire(connect.Owner!, TimeoutKind.Connect);
        }

        while (_idleQueue.DequeueExpired(_now) is { } idle)
        {
            TcpLoopConnection c = idle.Owner!;
            long due = c.LastActivity + _idleTimeoutMs;
            if (due > _now)
            {
                _idleQueue.Insert(idle, due);
                continue;
            }

            Expire(c, TimeoutKind.Idle);
        }

        ResumeAcceptIfDue();
    }

    private void Expire(TcpLoopConnection c, TimeoutKind kind)
    {
        try
        {
            switch (kind)
            {
                case TimeoutKind.Header:
                    HeaderFailed(c, HeaderReadStatus.TimedOut, ProxyProtocol.ProxyParseError.None, c.HeaderReceived);
                    break;
                case TimeoutKind.Connect:
                    ConnectTimedOut(c);
                    break;
                default:
                    EndRelay(c, Unfinished(c.ToUpstream), Unfinished(c.ToClient), idleTimedOut: true, reset: true);
                    break;
            }
        }
#pragma warning disable CA1031 // One connection must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Crash(c, ex);
        }
    }

    private enum TimeoutKind
    {
        Header,
        Connect,
        Idle,
    }
}
