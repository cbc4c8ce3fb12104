using System.Diagnostics.CodeAnalysis;
using MmProxy.Configuration;
using MmProxy.Loop;

namespace MmProxy.Tcp;

/// <summary>
/// A loop's TCP timeouts without timer objects: one <see cref="DeadlineList{T}"/> per kind (header,
/// connect, idle), each in deadline order because every timeout of a kind has one duration; the
/// loop sleeps until the earliest. Idle deadlines are not moved on every byte: when one comes due,
/// a connection that was active since is re-armed at last activity + timeout.
/// </summary>
internal sealed class TcpTimeouts
{
    private readonly LoopClock _clock;
    private readonly DeadlineList<TcpConnection> _header = new();
    private readonly DeadlineList<TcpConnection> _connect = new();
    private readonly DeadlineList<TcpConnection> _idle = new();
    private readonly long _headerTicks;
    private readonly long _connectTicks;
    private readonly long _idleTicks;

    public TcpTimeouts(LoopClock clock, ProxyOptions options)
    {
        _clock = clock;
        _headerTicks = clock.Ticks(options.HeaderTimeout);
        _connectTicks = clock.Ticks(options.ConnectTimeout);
        _idleTicks = options.IdleTimeout is { } idle ? clock.Ticks(idle) : 0;
    }

    public bool IdleEnabled => _idleTicks > 0;

    /// <summary>The earliest deadline of every kind, or <see cref="long.MaxValue"/>.</summary>
    public long NextDeadline => Math.Min(_header.NextDeadline, Math.Min(_connect.NextDeadline, _idle.NextDeadline));

    public void StartHeader(TcpConnection c) => _header.Schedule(c.PhaseDeadline, _clock.Now + _headerTicks);

    public void StartConnect(TcpConnection c) => _connect.Schedule(c.PhaseDeadline, _clock.Now + _connectTicks);

    /// <summary>The idle clock starts with the relay (no-op when --idle-timeout is off).</summary>
    public void StartIdle(TcpConnection c)
    {
        if (_idleTicks > 0)
        {
            c.LastActivity = _clock.Now;
            _idle.Schedule(c.IdleDeadline, _clock.Now + _idleTicks);
        }
    }

    /// <summary>The next connection whose timeout is due at <paramref name="now"/>, with its kind.</summary>
    public bool TryTakeExpired(long now, [NotNullWhen(true)] out TcpConnection? connection, out TcpTimeoutKind kind)
    {
        if (_header.TryTakeExpired(now, out connection))
        {
            kind = TcpTimeoutKind.Header;
            return true;
        }

        if (_connect.TryTakeExpired(now, out connection))
        {
            kind = TcpTimeoutKind.Connect;
            return true;
        }

        while (_idle.TryTakeExpired(now, out connection))
        {
            long due = connection.LastActivity + _idleTicks;
            if (due <= now)
            {
                kind = TcpTimeoutKind.Idle;
                return true;
            }

            _idle.Schedule(connection.IdleDeadline, due);
        }

        kind = default;
        return false;
    }
}
