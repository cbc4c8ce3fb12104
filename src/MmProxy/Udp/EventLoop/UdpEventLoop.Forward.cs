using System.Runtime.InteropServices;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// Load balancer → service: one recvmmsg takes up to a batch from the listener; each datagram is
/// checked (sender allowed, header classified, counted and logged as the socket engine does), its
/// flow found or opened; then the batch is grouped by flow and each flow's payloads leave with one
/// sendmmsg (send() for a single one) on its connected socket, in arrival order, without copying.
/// EAGAIN/ENOBUFS drops (the loop never waits for one flow); ECONNREFUSED (ICMP for an earlier
/// datagram) is counted and the datagram retried once, and the flow lives on.
/// </summary>
internal sealed unsafe partial class UdpEventLoop
{
    private readonly UdpLoopFlow?[] _batchFlowOf = new UdpLoopFlow?[BatchSize];
    private readonly int[] _payloadOffset = new int[BatchSize];
    private readonly UdpLoopFlow?[] _batchFlows = new UdpLoopFlow?[BatchSize];
    private long _batchStamp;

    private void ReceiveFromListener()
    {
        for (int i = 0; i < BatchSize; i++)
        {
            _received.ArmReceive(i, withName: true);
        }

        int n = MultiMessageNativeMethods.RecvMMsg(_listenerFd, _received.Headers, BatchSize, DontWait, null);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                OnReceiveError(errno);
            }

            return;
        }

        _counters.OnReceived(n);
        long stamp = ++_batchStamp;
        int flows = 0;
        for (int i = 0; i < n; i++)
        {
            UdpLoopFlow? flow = Classify(i);
            _batchFlowOf[i] = flow;
            if (flow is null)
            {
                continue;
            }

            if (flow.BatchStamp != stamp)
            {
                flow.BatchStamp = stamp;
                flow.BatchCount = 0;
                _batchFlows[flows++] = flow;
            }

            flow.BatchCount++;
        }

        // Counting sort by flow (first-arrival order), then one send per flow.
        int start = 0;
        for (int f = 0; f < flows; f++)
        {
            UdpLoopFlow flow = _batchFlows[f]!;
            flow.BatchStart = start;
            start += flow.BatchCount;
            flow.BatchCount = 0;
        }

        for (int i = 0; i < n; i++)
        {
            if (_batchFlowOf[i] is not { } flow)
            {
                continue;
            }

            int offset = _payloadOffset[i];
            _sends.Set(flow.BatchStart + flow.BatchCount, _received.Slot(i) + offset, (int)_received.Headers[i].Length - offset);
            flow.BatchCount++;
            _batchFlowOf[i] = null;
        }

        for (int f = 0; f < flows; f++)
        {
            UdpLoopFlow flow = _batchFlows[f]!;
            _batchFlows[f] = null;
            SendUpstream(flow, flow.BatchStart, flow.BatchCount);
        }
    }

    /// <summary>The flow for datagram <paramref name="index"/> (payload offset noted), or null when it is dropped (counted).</summary>
    private UdpLoopFlow? Classify(int index)
    {
        ref NativeSocketAddress from = ref _received.ReceivedName(index);
        if (!from.TryGetProxyAddress(out ProxyAddress balancer))
        {
            _counters.OnDropped(UdpDropReason.InvalidHeader);
            return null;
        }

        try
        {
            if (!_peerFilter.IsAllowed(balancer))
            {
                _handler.ReportNotAllowed(balancer);
                return null;
            }

            UdpDatagram classified = UdpDatagramClassifier.Classify(_handler.Parser, _received.Received(index));
            if (classified.Kind == UdpDatagramKind.Dropped)
            {
                _handler.ReportDropped(balancer, classified);
                return null;
            }

            var key = new UdpFlowKey(balancer, classified.Client);
            UdpLoopFlow? flow = GetOrOpen(key, from);
            if (flow is not null)
            {
                _payloadOffset[index] = classified.PayloadOffset;
                Touch(flow);
            }

            return flow;
        }
#pragma warning disable CA1031 // The last line of defence: one datagram must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _handler.ReportCrash(balancer, ex);
            return null;
        }
    }

    private void SendUpstream(UdpLoopFlow flow, int start, int count)
    {
        int next = 0;
        bool retried = false;
        while (next < count)
        {
            int sent;
            int errno = 0;
            if (count - next == 1)
            {
                IoVec* iov = &_sends.Iovs[start + next];
                sent = SocketNativeMethods.Send(flow.Fd, iov->Base, iov->Length, DontWait | SocketNativeMethods.MsgNoSignal) < 0 ? -1 : 1;
            }
            else
            {
                sent = MultiMessageNativeMethods.SendMMsg(flow.Fd, _sends.Headers + start + next, (uint)(count - next), DontWait | SocketNativeMethods.MsgNoSignal);
            }

            if (sent < 0)
            {
                errno = Marshal.GetLastPInvokeError();
            }

            if (sent > 0)
            {
                long bytes = 0;
                for (int k = 0; k < sent; k++)
                {
                    bytes += _sends.LengthOf(start + next + k);
                }

                _counters.OnForwarded(sent, bytes);
                flow.ToUpstream += sent;
                next += sent;
                retried = false;
                continue;
            }

            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (IsUnreachable(errno) && !retried)
            {
                // The ICMP error of an earlier datagram, reported (and cleared) instead of sending this one.
                OnUpstreamRefused(flow);
                retried = true;
                continue;
            }

            if (IsBufferFull(errno))
            {
                // The rest would block too: drop them all now rather than one system call each.
                for (; next < count; next++)
                {
                    _handler.ReportSendFailed(flow.Key, flow.Target, bufferFull: true, errno);
                }

                return;
            }

            _handler.ReportSendFailed(flow.Key, flow.Target, bufferFull: false, errno);
            next++;
            retried = false;
        }
    }
}
