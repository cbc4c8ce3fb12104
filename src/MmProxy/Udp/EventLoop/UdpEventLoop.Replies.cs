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
/// </summary>
internal sealed unsafe partial class UdpEventLoop
{
    // Replies taken from one flow per wake-up, so one chatty upstream cannot starve the others.
    private const int ReplyBudgetPerFlow = BatchSize;
    private readonly UdpLoopFlow?[] _replyFlow = new UdpLoopFlow?[BatchSize];
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
                int errno = n < 0 ? Marshal.GetLastPInvokeError() : MultiMessageNativeMethods.EAgain;
                if (errno == MultiMessageNativeMethods.EAgain)
                {
                    return;
                }

                budget--;
                if (errno == MultiMessageNativeMethods.EIntr)
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
        int next = 0;
        while (next < count)
        {
            int sent = MultiMessageNativeMethods.SendMMsg(_listenerFd, _replies.Headers + next, (uint)(count - next), DontWait | SocketNativeMethods.MsgNoSignal);
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
            if (errno == MultiMessageNativeMethods.EIntr)
            {
                continue;
            }

            OnReplyFailed(_replyFlow[next]!, errno, IsBufferFull(errno));
            next++;
        }

        Array.Clear(_replyFlow, 0, count);
        _replyCount = 0;
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
