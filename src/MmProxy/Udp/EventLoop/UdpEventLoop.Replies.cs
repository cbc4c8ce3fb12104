using System.Runtime.InteropServices;
using MmProxy.Diagnostics;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// Service → load balancer: a readable flow socket is drained by recvmmsg straight into the reply
/// batch, each message addressed to the flow's load balancer; after all ready events are handled the
/// whole batch leaves with one sendmmsg on the listener, so replies of many flows share one system
/// call. ECONNREFUSED on a flow socket (ICMP for an earlier send) is counted; the flow lives on.
/// A full listener send buffer drops the reply (counted as a failed reply): the loop never blocks.
/// Replies to one load balancer of one size leave as one UDP GSO message (UDP_SEGMENT).
/// </summary>
internal sealed unsafe partial class UdpEventLoop
{
    // Replies taken from one flow per wake-up, so one chatty upstream cannot starve the others.
    private const int ReplyBudgetPerFlow = BatchSize;
    // UDP GSO runs: at most 64 segments each (the kernel's limit on older versions), within one IP
    // datagram, and segments that fit a 1500-byte MTU (larger replies leave one by one).
    private const int MaxSegments = 64;
    private const int MaxSegmentSize = 1400;
    private const int MaxRunBytes = 65000;
    private const int EIo = 5;
    private const int EOpNotSupp = 95;

    /// <summary>MMPROXY_UDP_GSO=0 sends replies one message each (diagnostics, measurements).</summary>
    private static readonly bool SegmentationWanted = Environment.GetEnvironmentVariable("MMPROXY_UDP_GSO") != "0";

    private readonly UdpLoopFlow?[] _replyFlow = new UdpLoopFlow?[BatchSize];
    private readonly int[] _runStart = new int[BatchSize];
    private readonly int[] _runCount = new int[BatchSize];
    private readonly UdpSegmentedSendList _segmented = new(BatchSize);
    private bool _segmentation = SegmentationWanted;
    private int _replyCount;

    private void ReceiveReplies(UdpLoopFlow flow)
    {
        int budget = ReplyBudgetPerFlow;
        while (budget > 0)
        {
            if (_replyCount == BatchSize)
            {
                FlushReplies();
            }

            int first = _replyCount;
            int want = Math.Min(BatchSize - first, budget);
            for (int k = 0; k < want; k++)
            {
                _replies.ArmReceive(first + k, withName: false);
            }

            int n = MultiMessageNativeMethods.RecvMMsg(flow.Fd, _replies.Headers + first, (uint)want, DontWait, null);
            if (n <= 0)
            {
                int errno = n < 0 ? Marshal.GetLastPInvokeError() : Errno.EAGAIN;
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
                    OnUpstreamRefused(flow);
                    continue;
                }

                OnReplyFailed(flow, errno, bufferFull: false);
                return;
            }

            for (int k = 0; k < n; k++)
            {
                _replies.ArmReply(first + k, flow.Balancer);
                _replyFlow[first + k] = flow;
            }

            _replyCount += n;
            flow.ToClient += n;
            budget -= n;
            Touch(flow);
            if (n < want)
            {
                return;
            }
        }
    }

    private void FlushReplies()
    {
        int count = _replyCount;
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
        _replyCount = 0;
    }

    /// <summary>Replies [<paramref name="first"/>, <paramref name="end"/>) with sendmmsg, one message each.</summary>
    private void FlushPlain(int first, int end)
    {
        int next = first;
        while (next < end)
        {
            int sent = MultiMessageNativeMethods.SendMMsg(_listenerFd, _replies.Headers + next, (uint)(end - next), DontWait | SocketNativeMethods.MsgNoSignal);
            if (sent > 0)
            {
                long bytes = 0;
                for (int k = 0; k < sent; k++)
                {
                    bytes += _replies.Headers[next + k].Length;
                }

                _counters.OnReplies(sent, bytes);
                next += sent;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
            {
                continue;
            }

            OnReplyFailed(_replyFlow[next]!, errno, IsBufferFull(errno));
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
            int size = (int)_replies.Headers[i].Length;
            int j = i + 1;
            if (size is > 0 and <= MaxSegmentSize)
            {
                NativeSocketAddress* to = _replies.Names + i;
                int total = size;
                while (j < count && j - i < MaxSegments)
                {
                    int length = (int)_replies.Headers[j].Length;
                    if (length == 0 || length > size || total + length > MaxRunBytes || !_replies.Names[j].Equals(*to))
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
            _segmented.Set(runs, _replies.Names + i, _replies.Iovs + i, j - i, size);
            runs++;
            i = j;
        }

        int next = 0;
        while (next < runs)
        {
            int sent = MultiMessageNativeMethods.SendMMsg(_listenerFd, _segmented.Headers + next, (uint)(runs - next), DontWait | SocketNativeMethods.MsgNoSignal);
            if (sent > 0)
            {
                for (int r = next; r < next + sent; r++)
                {
                    long bytes = 0;
                    for (int k = _runStart[r]; k < _runStart[r] + _runCount[r]; k++)
                    {
                        bytes += _replies.Headers[k].Length;
                    }

                    _counters.OnReplies(_runCount[r], bytes);
                }

                next += sent;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
            {
                continue;
            }

            int first = _runStart[next];
            int end = first + _runCount[next];
            if (_runCount[next] > 1 && errno is Errno.EINVAL or EIo or Errno.ENOPROTOOPT or EOpNotSupp)
            {
                _segmentation = false;
                FlushPlain(first, end);
            }
            else
            {
                for (int k = first; k < end; k++)
                {
                    OnReplyFailed(_replyFlow[k]!, errno, IsBufferFull(errno));
                }
            }

            next++;
        }
    }

    private void OnUpstreamRefused(UdpLoopFlow flow)
    {
        _counters.OnUpstreamRefused();
        if (_context.RefusedLog.TryEnter(out long suppressed))
        {
            UdpLog.UpstreamRefused(_context.Log, flow.Target, new LoggedAddress(flow.Key.Client), suppressed);
        }
    }

    private void OnReplyFailed(UdpLoopFlow flow, int errno, bool bufferFull)
    {
        _counters.OnReplyFailed();
        if (_context.ReplyLog.TryEnter(out long suppressed))
        {
            string reason = bufferFull ? "the listening socket's send buffer is full" : Errno.Describe(errno);
            UdpLog.ReplyFailed(_context.Log, new LoggedAddress(flow.Key.Balancer), new LoggedAddress(flow.Key.Client), reason, suppressed);
        }
    }
}
