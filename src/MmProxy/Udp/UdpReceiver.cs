using System.Net;
using MmProxy.Configuration;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// Load balancer → service: one recvmmsg takes up to a batch from the listener; each datagram is
/// checked (sender allowed, header classified, counted and logged), its flow found or opened; then
/// the batch is grouped by flow and each flow's payloads leave with one sendmmsg (send() for a single
/// one) on its connected socket, in arrival order, without copying. EAGAIN/ENOBUFS drops (the loop
/// never waits for one flow); ECONNREFUSED (ICMP for an earlier datagram) is counted and the datagram
/// retried once, and the flow lives on. Where the client is named depends on the listener's
/// <see cref="UdpHeaderFormat"/>: a v2 header per datagram, on a v2-first session's first datagram
/// only (later ones go to the sender's session), or an SPP header per datagram (kept on the flow
/// for its replies).
/// </summary>
internal sealed class UdpReceiver : IDisposable
{
    public const int BatchSize = 64;

    /// <summary>A slot per message that any UDP datagram fits (only the pages a datagram fills become resident).</summary>
    public const int MaxDatagramSize = 65536;

    private readonly UdpListenerContext _listener;
    private readonly int _listenFd;
    private readonly IPEndPoint _endPoint;
    private readonly UdpFlows _flows;
    private readonly UdpPeerFilter _peerFilter;
    private readonly UdpHeaderFormat _format;
    private readonly bool _sending;
    private readonly int _headroom;
    private readonly DatagramBatch _received;
    private readonly ConnectedSendList _sends = new(BatchSize);
    private readonly UdpFlow?[] _flowOf = new UdpFlow?[BatchSize];
    private readonly int[] _payloadOffset = new int[BatchSize];
    private readonly UdpFlow?[] _batchFlows = new UdpFlow?[BatchSize];
    private long _batchStamp;

    public UdpReceiver(UdpListenerContext listener, int listenFd, IPEndPoint endPoint, UdpFlows flows)
    {
        _listener = listener;
        _listenFd = listenFd;
        _endPoint = endPoint;
        _flows = flows;
        _peerFilter = new UdpPeerFilter(listener.Subnets);
        _format = listener.Options.UdpHeader;
        _sending = listener.Options.Role == ListenerRole.Send;

        // Sending: each datagram is received after room for its flow's header, written in front without copying the payload.
        _headroom = _sending ? Send.SendHeaderComposer.MaxLength : 0;
        _received = new DatagramBatch(BatchSize, MaxDatagramSize + _headroom);
    }

    public void Receive()
    {
        for (int i = 0; i < BatchSize; i++)
        {
            _received.ArmReceive(i, withName: true, _headroom);
        }

        SysResult received = _received.Receive(_listenFd, 0, BatchSize);
        if (!received.Succeeded)
        {
            if (!received.Error.IsTransient())
            {
                _listener.Report.ReceiveFailed(_endPoint, received.Error);
            }

            return;
        }

        int n = received.Int;
        _listener.Counters.OnReceived(_format, n);
        long stamp = ++_batchStamp;
        int flows = 0;
        for (int i = 0; i < n; i++)
        {
            UdpFlow? flow = Classify(i);
            _flowOf[i] = flow;
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
            UdpFlow flow = _batchFlows[f]!;
            flow.BatchStart = start;
            start += flow.BatchCount;
            flow.BatchCount = 0;
        }

        for (int i = 0; i < n; i++)
        {
            if (_flowOf[i] is not { } flow)
            {
                continue;
            }

            if (_sending)
            {
                _received.Prepend(i, flow.Header);
            }

            _sends.Set(flow.BatchStart + flow.BatchCount, _received, i, _payloadOffset[i]);
            flow.BatchCount++;
            _flowOf[i] = null;
        }

        for (int f = 0; f < flows; f++)
        {
            UdpFlow flow = _batchFlows[f]!;
            _batchFlows[f] = null;
            SendUpstream(flow, flow.BatchStart, flow.BatchCount);
        }

        _flows.CloseRetired();
    }

    /// <summary>The flow for datagram <paramref name="index"/> (payload offset noted), or null when it is dropped (counted).</summary>
    private UdpFlow? Classify(int index)
    {
        ref NativeSocketAddress from = ref _received.SenderOf(index);
        if (!from.TryGetProxyAddress(out ProxyAddress balancer))
        {
            _listener.Counters.OnDropped(UdpDropReason.InvalidHeader);
            return null;
        }

        try
        {
            if (!_peerFilter.IsAllowed(balancer))
            {
                _listener.Report.NotAllowed(balancer);
                return null;
            }

            if (_sending)
            {
                // A client: its flow (keyed by its endpoint alone) is connected to the remote, unspoofed.
                UdpFlow? sent = _flows.GetOrOpen(new UdpFlowKey(balancer, ProxyAddress.None), from);
                if (sent is not null)
                {
                    _flows.Touch(sent);
                    _payloadOffset[index] = 0;
                }

                return sent;
            }

            ReadOnlySpan<byte> datagram = _received.Datagram(index);
            UdpDatagram classified = UdpDatagramClassifier.Classify(_listener.Parser, _format, datagram);
            UdpFlow? flow;
            switch (classified.Kind)
            {
                case UdpDatagramKind.Dropped:
                    _listener.Report.Dropped(balancer, classified);
                    return null;
                case UdpDatagramKind.Headerless:
                    flow = _flows.SessionOf(balancer);
                    if (flow is null)
                    {
                        _listener.Report.NoSession(balancer);
                        return null;
                    }

                    break;
                default:
                    flow = _flows.GetOrOpen(new UdpFlowKey(balancer, classified.Client), from);
                    if (flow is null)
                    {
                        return null;
                    }

                    if (_format == UdpHeaderFormat.Spp)
                    {
                        flow.RememberHeader(datagram[..classified.PayloadOffset]);
                    }

                    break;
            }

            _flows.Touch(flow);
            if (_format == UdpHeaderFormat.V2First && classified.Kind != UdpDatagramKind.Headerless && classified.PayloadOffset == datagram.Length)
            {
                // Spectrum may send the session's header alone: it opens the session, nothing goes upstream.
                return null;
            }

            _payloadOffset[index] = classified.PayloadOffset;
            return flow;
        }
#pragma warning disable CA1031 // The last line of defence: one datagram must never take the loop down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _listener.Report.Crashed(balancer, ex);
            return null;
        }
    }

    private void SendUpstream(UdpFlow flow, int start, int count)
    {
        int next = 0;
        bool retried = false;
        while (next < count)
        {
            SysResult sent = _sends.Send(flow.Fd, start + next, count - next);
            if (sent.Succeeded && sent.Value > 0)
            {
                long bytes = 0;
                for (int k = 0; k < sent.Int; k++)
                {
                    bytes += _sends.LengthOf(start + next + k);
                }

                if (_sending)
                {
                    bytes -= (long)sent.Int * flow.Header.Length; // payload bytes only
                }

                _listener.Counters.OnForwarded(sent.Int, bytes);
                flow.ToUpstream += sent.Int;
                next += sent.Int;
                retried = false;
                continue;
            }

            Errno errno = sent.Error;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (UdpReplies.IsUnreachable(errno) && !retried)
            {
                // The ICMP error of an earlier datagram, reported (and cleared) instead of sending this one.
                _listener.Report.UpstreamRefused(flow);
                retried = true;
                continue;
            }

            if (UdpReport.IsBufferFull(errno))
            {
                // The rest would block too: drop them all now rather than one system call each.
                for (; next < count; next++)
                {
                    _listener.Report.SendFailed(flow, errno);
                }

                return;
            }

            _listener.Report.SendFailed(flow, errno);
            next++;
            retried = false;
        }
    }

    public void Dispose()
    {
        _received.Dispose();
        _sends.Dispose();
    }
}
