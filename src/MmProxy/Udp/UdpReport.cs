using System.Net;
using Microsoft.Extensions.Logging;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// How datagrams and flows of one UDP listener end up, counted and logged in one place: every drop
/// by its reason, each kind of warning at most once a second (with the number held back), so a
/// flood of bad datagrams costs a counter increment each, not a log line each. Thread-safe.
/// </summary>
internal sealed class UdpReport
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(1);

    private readonly UdpCounters _counters;
    private readonly ILogger _log;
    private readonly LogRateLimiter _drop;
    private readonly LogRateLimiter _notAllowed;
    private readonly LogRateLimiter _tableFull;
    private readonly LogRateLimiter _setup;
    private readonly LogRateLimiter _crash;
    private readonly LogRateLimiter _refused;
    private readonly LogRateLimiter _reply;
    private readonly LogRateLimiter _send;
    private readonly LogRateLimiter _receive;

    private readonly string _header;

    /// <param name="header">The header format, for the flow lines ("v2-first", "send spp").</param>
    public UdpReport(UdpCounters counters, ILogger flowLog, TimeProvider time, string header = "v2")
    {
        _header = header;
        _counters = counters;
        _log = flowLog;
        _drop = new LogRateLimiter(time, LogInterval);
        _notAllowed = new LogRateLimiter(time, LogInterval);
        _tableFull = new LogRateLimiter(time, LogInterval);
        _setup = new LogRateLimiter(time, LogInterval);
        _crash = new LogRateLimiter(time, LogInterval);
        _refused = new LogRateLimiter(time, LogInterval);
        _reply = new LogRateLimiter(time, LogInterval);
        _send = new LogRateLimiter(time, LogInterval);
        _receive = new LogRateLimiter(time, LogInterval);
    }

    public UdpCounters Counters => _counters;

    /// <summary>Per-flow events ("mmproxy.connection").</summary>
    public ILogger Log => _log;

    public void NotAllowed(in ProxyAddress balancer)
    {
        _counters.OnDropped(UdpDropReason.NotAllowed);
        if (_notAllowed.TryEnter(out long suppressed))
        {
            UdpLog.NotAllowed(_log, new LoggedAddress(balancer), suppressed);
        }
    }

    public void Dropped(in ProxyAddress balancer, in UdpDatagram classified)
    {
        _counters.OnDropped(classified.DropReason);
        if (_drop.TryEnter(out long suppressed))
        {
            UdpLog.DatagramDropped(_log, new LoggedAddress(balancer), Describe(classified), suppressed);
        }
    }

    /// <summary>v2-first: a headerless datagram from an endpoint without a session.</summary>
    public void NoSession(in ProxyAddress balancer) => Dropped(balancer, UdpDatagram.Drop(UdpDropReason.NoSession));

    public void SessionRetargeted(UdpFlow previous, in ProxyAddress client)
    {
        if (_log.IsEnabled(LogLevel.Debug))
        {
            UdpLog.SessionRetargeted(_log, new LoggedAddress(previous.Key.Balancer), new LoggedAddress(client), new LoggedAddress(previous.Key.Client), previous.ToUpstream, previous.ToClient);
        }
    }

    public void TableFull(in UdpFlowKey key, int maxFlows)
    {
        _counters.OnDropped(UdpDropReason.TableFull);
        if (_tableFull.TryEnter(out long suppressed))
        {
            UdpLog.TableFull(_log, new LoggedAddress(key.Balancer), new LoggedAddress(key.Client), maxFlows, suppressed);
        }
    }

    public void SetupFailed(in UdpFlowKey key, string error)
    {
        _counters.OnDropped(UdpDropReason.FlowSetupFailed);
        if (_setup.TryEnter(out long suppressed))
        {
            UdpLog.FlowSetupFailed(_log, new LoggedAddress(key.Balancer), new LoggedAddress(key.Client), error, suppressed);
        }
    }

    public void FallbackPort(in UdpFlowKey key, IPEndPoint target) =>
        UdpLog.SourcePortInUse(_log, new LoggedAddress(key.Client), target);

    public void FlowCreated(UdpFlow flow)
    {
        _counters.OnFlowCreated();
        if (_log.IsEnabled(LogLevel.Debug))
        {
            UdpLog.FlowCreated(_log, _header, new LoggedAddress(flow.Key.Balancer), new LoggedAddress(flow.Key.Client), flow.Target, RawSocket.LocalEndPoint(flow.Fd));
        }
    }

    public void FlowExpired(UdpFlow flow, long idleMs)
    {
        _counters.OnFlowExpired();
        if (_log.IsEnabled(LogLevel.Debug))
        {
            UdpLog.FlowExpired(_log, new LoggedAddress(flow.Key.Balancer), new LoggedAddress(flow.Key.Client), flow.Target, idleMs, flow.ToUpstream, flow.ToClient);
        }
    }

    /// <param name="flow">The flow whose datagram was not sent.</param>
    /// <param name="errno">EAGAIN/ENOBUFS: the send buffer is full; otherwise the error.</param>
    public void SendFailed(UdpFlow flow, Errno errno)
    {
        _counters.OnDropped(UdpDropReason.UpstreamSendFailed);
        if (_send.TryEnter(out long suppressed))
        {
            string reason = IsBufferFull(errno) ? "the upstream socket's send buffer is full" : errno.Describe();
            UdpLog.UpstreamSendFailed(_log, new LoggedAddress(flow.Key.Balancer), new LoggedAddress(flow.Key.Client), flow.Target, reason, suppressed);
        }
    }

    /// <summary>ECONNREFUSED/unreachable on a flow socket: the ICMP error of an earlier datagram (nothing listens upstream yet).</summary>
    public void UpstreamRefused(UdpFlow flow)
    {
        _counters.OnUpstreamRefused();
        if (_refused.TryEnter(out long suppressed))
        {
            UdpLog.UpstreamRefused(_log, flow.Target, new LoggedAddress(flow.Key.Client), suppressed);
        }
    }

    /// <summary>Sending SPP: a reply from the remote without a valid SPP header is not passed on.</summary>
    public void ReplyWithoutHeader(UdpFlow flow)
    {
        _counters.OnReplyFailed();
        if (_reply.TryEnter(out long suppressed))
        {
            UdpLog.ReplyFailed(_log, new LoggedAddress(flow.Key.Balancer), new LoggedAddress(flow.Key.Client), "the remote's reply has no SPP header", suppressed);
        }
    }

    public void ReplyFailed(UdpFlow flow, Errno errno)
    {
        _counters.OnReplyFailed();
        if (_reply.TryEnter(out long suppressed))
        {
            string reason = IsBufferFull(errno) ? "the listening socket's send buffer is full" : errno.Describe();
            UdpLog.ReplyFailed(_log, new LoggedAddress(flow.Key.Balancer), new LoggedAddress(flow.Key.Client), reason, suppressed);
        }
    }

    /// <summary>Receive errors on the listener (ENOBUFS, ENOMEM, a stray ICMP error) are counted and survived.</summary>
    public void ReceiveFailed(IPEndPoint listener, Errno errno)
    {
        _counters.OnReceiveError();
        if (_receive.TryEnter(out long suppressed))
        {
            UdpLog.ReceiveFailed(_log, listener, errno.Describe(), suppressed);
        }
    }

    public void Crashed(in ProxyAddress balancer, Exception exception)
    {
        _counters.OnDropped(UdpDropReason.FlowSetupFailed);
        if (_crash.TryEnter(out long suppressed))
        {
            UdpLog.DatagramCrashed(_log, new LoggedAddress(balancer), suppressed, exception);
        }
    }

    public static bool IsBufferFull(Errno errno) => errno is Errno.EAGAIN or Errno.ENOBUFS;

    private static string Describe(in UdpDatagram datagram) => datagram.DropReason switch
    {
        UdpDropReason.InvalidHeader => "invalid PROXY header: " + datagram.Error.ToMessage(),
        UdpDropReason.TruncatedHeader => "the datagram ends inside its PROXY v2 header",
        UdpDropReason.Version1 => "PROXY v1 header (UDP needs v2 with a DGRAM family)",
        UdpDropReason.StreamFamily => "PROXY v2 header with a STREAM family (UDP needs UDP4 or UDP6)",
        UdpDropReason.NoSession => "no header and no v2-first session for this endpoint (its first datagram must carry the PROXY v2 header; the session may have expired, see --close-after)",
        UdpDropReason.SppTooShort => "shorter than the 38-byte SPP header",
        UdpDropReason.SppBadMagic => "no SPP header (the datagram does not start with the magic 0x56EC)",
        UdpDropReason.V2OnSppListener => "a PROXY v2 header on an SPP listener (the load balancer sends v2: --udp-header v2 or v2-first)",
        _ => "PROXY v2 header with an unsupported family (UDP needs UDP4 or UDP6)",
    };
}
