using MmProxy.Interop;

namespace MmProxy.Udp;

/// <summary>
/// Service → load balancer: a readable flow socket is drained by recvmmsg straight into the reply
/// batch, each message addressed to the flow's load balancer; after all ready events are handled the
/// whole batch leaves with one sendmmsg on the listener, so replies of many flows share one system
/// call. ECONNREFUSED on a flow socket (ICMP for an earlier send) is counted; the flow lives on.
/// A full listener send buffer drops the reply (counted as a failed reply): the loop never blocks.
/// Replies to one load balancer of one size leave as one UDP GSO message (UDP_SEGMENT). SPP flows'
/// replies are received after 38 bytes of headroom, where the flow's SPP header goes: no copy of the
/// payload; on the sending side, an SPP remote's replies lose that header on the way to the client.
/// </summary>
internal sealed class UdpReplies : IDisposable
{
    private const int BatchSize = UdpReceiver.BatchSize;

    // Replies taken from one flow per wake-up, so one chatty upstream cannot starve the others.
    private const int ReplyBudgetPerFlow = BatchSize;

    // UDP GSO runs: at most 64 segments each (the kernel's limit on older versions), within one IP
    // datagram, and segments that fit a 1500-byte MTU (larger replies leave one by one).
    private const int MaxSegments = 64;
    private const int MaxSegmentSize = 1400;
    private const int MaxRunBytes = 65000;

    private readonly UdpListenerContext _listener;
    private readonly int _listenFd;
    private readonly UdpFlows _flows;
    private readonly DatagramBatch _replies;
    private readonly SegmentedSendList _segmented = new(BatchSize);
    private readonly UdpFlow?[] _replyFlow = new UdpFlow?[BatchSize];
    private readonly int[] _runStart = new int[BatchSize];
    private readonly int[] _runCount = new int[BatchSize];
    private readonly int _headroom;
    private readonly int _strip;
    private bool _segmentation;
    private int _count;

    public UdpReplies(UdpListenerContext listener, int listenFd, UdpFlows flows)
    {
        _listener = listener;
        _listenFd = listenFd;
        _flows = flows;
        _segmentation = listener.Options.UdpGso;
        bool sending = listener.Options.Role == Configuration.ListenerRole.Send;
        _headroom = !sending && listener.Options.UdpHeader == Configuration.UdpHeaderFormat.Spp ? ProxyProtocol.SppHeader.Length : 0;
        _strip = sending && listener.Options.SendHeader == Configuration.SendHeaderFormat.Spp ? ProxyProtocol.SppHeader.Length : 0;
        _replies = new DatagramBatch(BatchSize, UdpReceiver.MaxDatagramSize + _headroom);
    }

    public static bool IsUnreachable(Errno errno) => errno is Errno.ECONNREFUSED or Errno.EHOSTUNREACH or Errno.ENETUNREACH;

    /// <summary>Takes what the flow's upstream sent (up to a budget) into the reply batch.</summary>
    public void Receive(UdpFlow flow)
    {
        int budget = ReplyBudgetPerFlow;
        while (budget > 0)
        {
            if (_count == BatchSize)
            {
                Flush();
            }

            int first = _count;
            int want = Math.Min(BatchSize - first, budget);
            for (int k = 0; k < want; k++)
            {
                _replies.ArmReceive(first + k, withName: false, _headroom);
            }

            SysResult received = _replies.Receive(flow.Fd, first, want);
            if (!received.Succeeded || received.Value == 0)
            {
                Errno errno = received.Succeeded ? Errno.EAGAIN : received.Error;
                if (errno == Errno.EAGAIN)
                {
                    return;
                }

                budget--;
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (IsUnreachable(errno))
                {
                    _listener.Report.UpstreamRefused(flow);
                    continue;
                }

                _listener.Report.ReplyFailed(flow, errno);
                return;
            }

            int n = _strip > 0 ? StripSpp(flow, first, received.Int) : received.Int;
            for (int k = 0; k < n; k++)
            {
                _replies.ArmReply(first + k, flow.Balancer);
                if (_headroom > 0)
                {
                    _replies.Prepend(first + k, flow.Header);
                }

                _replyFlow[first + k] = flow;
            }

            _count += n;
            flow.ToClient += n;
            budget -= received.Int;
            _flows.Touch(flow);
            if (received.Int < want)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Sending SPP: the remote's replies carry the flow's SPP header; it is removed before they go to
    /// the client. One without it is dropped (counted) and the rest close the gap. The number kept.
    /// </summary>
    private int StripSpp(UdpFlow flow, int first, int n)
    {
        int kept = 0;
        for (int k = 0; k < n; k++)
        {
            if (!ProxyProtocol.SppCodec.Parse(_replies.Datagram(first + k)).IsValid)
            {
                _listener.Report.ReplyWithoutHeader(flow);
                continue;
            }

            if (kept != k)
            {
                _replies.Copy(first + k, first + kept);
            }

            _replies.Skip(first + kept, _strip);
            kept++;
        }

        return kept;
    }

    /// <summary>Sends every reply gathered so far on the listener.</summary>
    public void Flush()
    {
        int count = _count;
        if (count == 0)
        {
            return;
        }

        if (_segmentation)
        {
            FlushSegmented(count);
        }
        else
        {
            FlushPlain(0, count);
        }

        Array.Clear(_replyFlow, 0, count);
        _count = 0;
    }

    /// <summary>Replies [<paramref name="first"/>, <paramref name="end"/>) with sendmmsg, one message each.</summary>
    private void FlushPlain(int first, int end)
    {
        int next = first;
        while (next < end)
        {
            SysResult sent = _replies.Send(_listenFd, next, end - next);
            if (sent.Succeeded && sent.Value > 0)
            {
                long bytes = 0;
                for (int k = 0; k < sent.Int; k++)
                {
                    bytes += _replies.Length(next + k) - _headroom;
                }

                _listener.Counters.OnReplies(sent.Int, bytes);
                next += sent.Int;
                continue;
            }

            if (sent.Error == Errno.EINTR)
            {
                continue;
            }

            _listener.Report.ReplyFailed(_replyFlow[next]!, sent.Error);
            next++;
        }
    }

    /// <summary>
    /// Replies grouped into runs to one load balancer of one size (the last may be shorter), each
    /// run one UDP GSO message; all runs in one sendmmsg. A kernel or route that refuses GSO turns
    /// it off for this loop and the run goes out one by one.
    /// </summary>
    private void FlushSegmented(int count)
    {
        int runs = 0;
        int i = 0;
        while (i < count)
        {
            int size = _replies.Length(i);
            int j = i + 1;
            if (size is > 0 and <= MaxSegmentSize)
            {
                int total = size;
                while (j < count && j - i < MaxSegments)
                {
                    int length = _replies.Length(j);
                    if (length == 0 || length > size || total + length > MaxRunBytes || !_replies.SameDestination(i, j))
                    {
                        break;
                    }

                    total += length;
                    j++;
                    if (length < size)
                    {
                        break; // only the last datagram of a run may be shorter
                    }
                }
            }

            _runStart[runs] = i;
            _runCount[runs] = j - i;
            _segmented.Set(runs, _replies, i, j - i, size);
            runs++;
            i = j;
        }

        int next = 0;
        while (next < runs)
        {
            SysResult sent = _segmented.Send(_listenFd, next, runs - next);
            if (sent.Succeeded && sent.Value > 0)
            {
                for (int r = next; r < next + sent.Int; r++)
                {
                    long bytes = 0;
                    for (int k = _runStart[r]; k < _runStart[r] + _runCount[r]; k++)
                    {
                        bytes += _replies.Length(k) - _headroom;
                    }

                    _listener.Counters.OnReplies(_runCount[r], bytes);
                }

                next += sent.Int;
                continue;
            }

            Errno errno = sent.Error;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            int first = _runStart[next];
            int end = first + _runCount[next];
            if (_runCount[next] > 1 && errno is Errno.EINVAL or Errno.EIO or Errno.ENOPROTOOPT or Errno.EOPNOTSUPP)
            {
                _segmentation = false;
                FlushPlain(first, end);
            }
            else
            {
                for (int k = first; k < end; k++)
                {
                    _listener.Report.ReplyFailed(_replyFlow[k]!, errno);
                }
            }

            next++;
        }
    }

    public void Dispose()
    {
        _replies.Dispose();
        _segmented.Dispose();
    }
}
