using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.Loop;

namespace MmProxy.Tcp;

/// <summary>
/// The first phase: accept4 until EAGAIN (at most <see cref="AcceptBatch"/> per wake-up, so open
/// connections are served too), the allow list read per accept (SIGHUP replaces it), then the
/// header phase (read it, or write one on the sending side). The descriptor budget and the backoff
/// after resource errors both pause accepting by taking the listener out of epoll until a deadline;
/// the kernel keeps queueing in the backlog.
/// </summary>
internal sealed class TcpAcceptor
{
    /// <summary>Event data of the listening descriptor.</summary>
    public const ulong ListenerData = ulong.MaxValue - 1;

    private const int AcceptBatch = 64;
    private const int MinBackoffMs = 10;
    private const int MaxBackoffMs = 1000;
    private const int BudgetPollMs = 10;

    private readonly TcpLoopContext _context;
    private readonly Epoll _epoll;
    private readonly int _listenFd;
    private readonly TcpAcceptLimits _limits;
    private readonly AllowedSubnetsProvider _subnets;
    private readonly ITcpConnectionStart _header;
    private int _backoffMs;

    public TcpAcceptor(TcpLoopContext context, Epoll epoll, int listenFd, TcpAcceptLimits limits, AllowedSubnetsProvider subnets, ITcpConnectionStart header)
    {
        _context = context;
        _epoll = epoll;
        _listenFd = listenFd;
        _limits = limits;
        _subnets = subnets;
        _header = header;
    }

    /// <summary>Loop clock ticks at which a paused listener goes back into epoll; <see cref="long.MaxValue"/> when not paused.</summary>
    public long ResumeAt { get; private set; } = long.MaxValue;

    /// <summary>Accepting has stopped for good: the listener may be closed.</summary>
    public bool Closed { get; private set; }

    public Errno Register() => _epoll.Add(_listenFd, EpollFlags.In, ListenerData);

    public void OnReadable()
    {
        ProxyCounters counters = _context.Counters;
        for (int i = 0; i < AcceptBatch && !Closed; i++)
        {
            if (counters.Active >= _limits.MaxActive)
            {
                // Leave further connections in the kernel's backlog until some close.
                _limits.BudgetReached(counters.Active);
                Pause(BudgetPollMs);
                return;
            }

            SysResult accepted = RawSocket.Accept(_listenFd, out NativeSocketAddress peer);
            if (!accepted.Succeeded)
            {
                switch (accepted.Error)
                {
                    case Errno.EAGAIN:
                        return;
                    case Errno.EINTR:
                    case Errno.ECONNABORTED:
                    // Network errors pending on the new connection are reported by accept (accept(2)): retry.
                    case Errno.EPROTO or Errno.ENONET or Errno.ENETDOWN or Errno.EHOSTDOWN or Errno.EOPNOTSUPP or Errno.ENOPROTOOPT
                        or Errno.EHOSTUNREACH or Errno.ENETUNREACH or Errno.EPERM:
                        continue;
                    case Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM:
                        counters.OnAcceptError();
                        _backoffMs = _backoffMs == 0 ? MinBackoffMs : Math.Min(_backoffMs * 2, MaxBackoffMs);
                        _limits.AcceptFailed(accepted.Error, _backoffMs);
                        Pause(_backoffMs);
                        return;
                    default:
                        throw new InvalidOperationException("accept4: " + accepted.Error.Describe());
                }
            }

            _backoffMs = 0;
            OnAccepted(accepted.Int, peer);
        }
    }

    private void OnAccepted(int fd, in NativeSocketAddress address)
    {
        ProxyCounters counters = _context.Counters;
        counters.OnAccepted();
        IPEndPoint? peer = address.ToIPEndPoint();
        if (peer is null)
        {
            _ = Descriptor.Close(fd);
            counters.OnClosed();
            return;
        }

        AllowedSubnets subnets = _subnets.Current;
        if (!subnets.AllowsAll && !subnets.Contains(peer.Address))
        {
            // Before a single byte is read: reset, so the peer learns at once.
            counters.OnNotAllowed();
            ConnectionLog.NotAllowed(_context.Log, peer);
            RawSocket.Close(fd, reset: true);
            counters.OnClosed();
            return;
        }

        TcpConnection c = _context.Pool.Rent();
        c.ClientFd = fd;
        c.Peer = peer;
        c.Started = Stopwatch.GetTimestamp();
        if (_context.Log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Accepted(_context.Log, peer, RawSocket.LocalEndPoint(fd) ?? peer);
        }

        try
        {
            // The header often came with the handshake: the whole chain may run from here.
            _header.Start(c);
        }
#pragma warning disable CA1031 // One connection must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            TcpLoop.Crash(_context, c, ex);
        }
    }

    private void Pause(int milliseconds)
    {
        if (ResumeAt == long.MaxValue && !Closed)
        {
            _ = _epoll.Delete(_listenFd);
        }

        ResumeAt = _context.Clock.Update() + _context.Clock.Ticks(TimeSpan.FromMilliseconds(milliseconds));
    }

    /// <summary>A paused listener goes back into epoll once its pause is over.</summary>
    public void ResumeIfDue(long now)
    {
        if (ResumeAt == long.MaxValue || now < ResumeAt)
        {
            return;
        }

        ResumeAt = long.MaxValue;
        if (!Closed && Register() is var errno && errno != Errno.Success)
        {
            throw new InvalidOperationException("epoll_ctl(listener): " + errno.Describe());
        }
    }

    /// <summary>Takes the listener out of epoll for good; the listener may close it from now on.</summary>
    public void Close()
    {
        if (ResumeAt == long.MaxValue && !Closed)
        {
            _ = _epoll.Delete(_listenFd);
        }

        ResumeAt = long.MaxValue;
        Closed = true;
    }
}
