using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Tcp.EventLoop;

/// <summary>
/// Accepting: accept4 until EAGAIN (at most <see cref="AcceptBatch"/> per wake-up, so open
/// connections are served too), the allow list read per accept (SIGHUP replaces it), the
/// descriptor budget and the accept-error backoff (both pause accepting by taking the listener out
/// of epoll until a deadline; the kernel keeps queueing in the backlog).
/// </summary>
internal sealed unsafe partial class TcpEventLoop
{
    private const int AcceptBatch = 64;
    private const int MinBackoffMs = 10;
    private const int MaxBackoffMs = 1000;
    private const int BudgetPollMs = 10;

    private const int EProto = 71;
    private const int ENoNet = 64;
    private const int ENetDown = 100;
    private const int EHostDown = 112;
    private const int EOpNotSupp = 95;

    private int _backoffMs;

    /// <summary>Loop clock (ms) at which a paused listener goes back into epoll; 0 when not paused.</summary>
    private long _acceptResumeAt;

    private void AcceptReady()
    {
        for (int i = 0; i < AcceptBatch; i++)
        {
            if (_counters.Active >= _group.MaxActive)
            {
                // Leave further connections in the kernel's backlog until some close.
                _group.LogBudgetReached();
                PauseAccept(BudgetPollMs);
                return;
            }

            NativeSocketAddress address = default;
            uint length = NativeSocketAddress.Capacity;
            int fd = SocketNativeMethods.Accept4(_listenFd, (byte*)&address, &length, SocketNativeMethods.SockNonBlock | SocketNativeMethods.SockCloExec);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case Errno.EAGAIN:
                        return;
                    case Errno.EINTR:
                    case Errno.ECONNABORTED:
                    // Network errors pending on the new connection are reported by accept (accept(2)): retry.
                    case EProto or ENoNet or ENetDown or EHostDown or EOpNotSupp or Errno.ENOPROTOOPT
                        or Errno.EHOSTUNREACH or Errno.ENETUNREACH or Errno.EPERM:
                        continue;
                    case Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM:
                        _counters.OnAcceptError();
                        _backoffMs = _backoffMs == 0 ? MinBackoffMs : Math.Min(_backoffMs * 2, MaxBackoffMs);
                        _group.LogAcceptError(errno, _backoffMs);
                        PauseAccept(_backoffMs);
                        return;
                    default:
                        throw new InvalidOperationException("accept4: " + Errno.Describe(errno));
                }
            }

            _backoffMs = 0;
            address.Length = (int)length;
            OnAccepted(fd, address);
        }
    }

    private void OnAccepted(int fd, in NativeSocketAddress address)
    {
        _counters.OnAccepted();
        IPEndPoint? peer = address.ToIPEndPoint();
        if (peer is null)
        {
            _ = DescriptorNativeMethods.Close(fd);
            _counters.OnClosed();
            return;
        }

        AllowedSubnets subnets = _handler.Subnets.Current;
        if (!subnets.AllowsAll && !subnets.Contains(peer.Address))
        {
            // Before a single byte is read: reset, so the peer learns at once.
            _counters.OnNotAllowed();
            ConnectionLog.NotAllowed(_log, peer);
            CloseFd(fd, reset: true);
            _counters.OnClosed();
            return;
        }

        TcpLoopConnection c = Rent();
        c.ClientFd = fd;
        c.Peer = peer;
        c.Started = Stopwatch.GetTimestamp();
        if (_log.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Accepted(_log, peer, LocalEndPoint(fd) ?? peer);
        }

        StartHeader(c);
    }

    private static IPEndPoint? LocalEndPoint(int fd)
    {
        NativeSocketAddress address = default;
        uint length = NativeSocketAddress.Capacity;
        if (SocketNativeMethods.GetSockName(fd, (byte*)&address, &length) != 0)
        {
            return null;
        }

        address.Length = (int)length;
        return address.ToIPEndPoint();
    }

    private void PauseAccept(int milliseconds)
    {
        if (_acceptResumeAt == 0 && !_acceptClosed)
        {
            _ = _epoll.Delete(_listenFd);
        }

        _acceptResumeAt = Environment.TickCount64 + milliseconds;
    }

    private void ResumeAcceptIfDue()
    {
        if (_acceptResumeAt == 0 || _now < _acceptResumeAt)
        {
            return;
        }

        _acceptResumeAt = 0;
        if (!_acceptClosed)
        {
            int errno = _epoll.Add(_listenFd, EpollFlags.In, ListenerData);
            if (errno != 0)
            {
                throw new InvalidOperationException("epoll_ctl(listener): " + Errno.Describe(errno));
            }
        }
    }

    /// <summary>Takes the listener out of epoll for good; the group may close it from now on.</summary>
    private void CloseAccept()
    {
        if (_acceptResumeAt == 0)
        {
            _ = _epoll.Delete(_listenFd);
        }

        _acceptResumeAt = 0;
        _acceptClosed = true;
        _acceptStopped.TrySetResult();
    }
}
