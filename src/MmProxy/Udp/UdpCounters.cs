using MmProxy.Configuration;

namespace MmProxy.Udp;

/// <summary>UDP outcome counters (Interlocked); read for the final log line, tests and (later) metrics.</summary>
internal sealed class UdpCounters
{
    private readonly long[] _dropped = new long[Enum.GetValues<UdpDropReason>().Length];
    private readonly long[] _receivedByHeader = new long[HeaderFormatNames.UdpNames.Count];
    private long _forwarded;
    private long _replies;
    private long _bytesForwarded;
    private long _replyBytes;
    private long _replyFailures;
    private long _upstreamRefused;
    private long _flowsCreated;
    private long _flowsExpired;
    private long _receiveErrors;

    public long Received => Sum(_receivedByHeader);

    /// <summary>Datagrams received by listeners of one header format.</summary>
    public long ReceivedBy(UdpHeaderFormat format) => Volatile.Read(ref _receivedByHeader[(int)format]);
    public long Forwarded => Volatile.Read(ref _forwarded);
    public long Replies => Volatile.Read(ref _replies);

    /// <summary>Payload bytes sent to the service (headers stripped).</summary>
    public long BytesForwarded => Volatile.Read(ref _bytesForwarded);

    /// <summary>Payload bytes of the replies sent back to the load balancer.</summary>
    public long ReplyBytes => Volatile.Read(ref _replyBytes);
    public long ReplyFailures => Volatile.Read(ref _replyFailures);

    /// <summary>ICMP port/host unreachable reported on a flow's socket (ECONNREFUSED); the flow lives on.</summary>
    public long UpstreamRefused => Volatile.Read(ref _upstreamRefused);
    public long FlowsCreated => Volatile.Read(ref _flowsCreated);
    public long FlowsExpired => Volatile.Read(ref _flowsExpired);
    public long ReceiveErrors => Volatile.Read(ref _receiveErrors);

    public long Dropped(UdpDropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    public long DroppedTotal => Sum(_dropped);

    /// <summary>"invalid header 3, v1 1" (non-zero reasons only) or "none"; for the final log line.</summary>
    public string DescribeDrops()
    {
        var parts = new List<string>();
        foreach (UdpDropReason reason in Enum.GetValues<UdpDropReason>())
        {
            long count = Dropped(reason);
            if (count != 0)
            {
                parts.Add(Name(reason) + " " + count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private static string Name(UdpDropReason reason) => reason switch
    {
        UdpDropReason.InvalidHeader => "invalid header",
        UdpDropReason.TruncatedHeader => "truncated header",
        UdpDropReason.Version1 => "v1",
        UdpDropReason.StreamFamily => "stream family",
        UdpDropReason.UnsupportedFamily => "unsupported family",
        UdpDropReason.NoSession => "no v2-first session",
        UdpDropReason.SppTooShort => "SPP too short",
        UdpDropReason.SppBadMagic => "SPP bad magic",
        UdpDropReason.V2OnSppListener => "v2 on an SPP listener",
        UdpDropReason.NotAllowed => "not allowed",
        UdpDropReason.TableFull => "table full",
        UdpDropReason.FlowSetupFailed => "flow setup failed",
        UdpDropReason.UpstreamSendFailed => "upstream send failed",
        _ => reason.ToString(),
    };

    /// <summary>A batch at once (the loop counts per recvmmsg, not per datagram).</summary>
    public void OnReceived(UdpHeaderFormat format, int count) => Interlocked.Add(ref _receivedByHeader[(int)format], count);

    public void OnForwarded(int count, long bytes)
    {
        Interlocked.Add(ref _forwarded, count);
        Interlocked.Add(ref _bytesForwarded, bytes);
    }

    public void OnReplies(int count, long bytes)
    {
        Interlocked.Add(ref _replies, count);
        Interlocked.Add(ref _replyBytes, bytes);
    }

    public void OnForwarded(int bytes)
    {
        Interlocked.Increment(ref _forwarded);
        Interlocked.Add(ref _bytesForwarded, bytes);
    }

    public void OnReply(int bytes)
    {
        Interlocked.Increment(ref _replies);
        Interlocked.Add(ref _replyBytes, bytes);
    }

    public void OnReplyFailed() => Interlocked.Increment(ref _replyFailures);

    public void OnUpstreamRefused() => Interlocked.Increment(ref _upstreamRefused);

    public void OnFlowCreated() => Interlocked.Increment(ref _flowsCreated);

    public void OnFlowExpired() => Interlocked.Increment(ref _flowsExpired);

    public void OnReceiveError() => Interlocked.Increment(ref _receiveErrors);

    private static long Sum(long[] counters)
    {
        long total = 0;
        for (int i = 0; i < counters.Length; i++)
        {
            total += Volatile.Read(ref counters[i]);
        }

        return total;
    }

    public void OnDropped(UdpDropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}
