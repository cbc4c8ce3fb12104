using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// The data path of one datagram, synchronous and allocation-free for an existing flow: sender
/// allowed → header classified → flow looked up (or opened) → payload sent upstream without
/// blocking. Called by the listener loops for each datagram they receive (one at a time per
/// listener, so a batch receive can call it in a loop). Never throws.
/// </summary>
internal sealed class UdpDatagramHandler
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(1);

    private readonly ProxyHeaderParser _parser;
    private readonly UdpFlowTable _table;
    private readonly UdpUpstreamOpener _opener;
    private readonly UdpFlowContext _context;
    private readonly LogRateLimiter _dropLog;
    private readonly LogRateLimiter _notAllowedLog;
    private readonly LogRateLimiter _tableFullLog;
    private readonly LogRateLimiter _setupLog;
    private readonly LogRateLimiter _crashLog;

    public UdpDatagramHandler(ProxyHeaderParser parser, UdpFlowTable table, UdpUpstreamOpener opener, UdpFlowContext context)
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(opener);
        ArgumentNullException.ThrowIfNull(context);
        _parser = parser;
        _table = table;
        _opener = opener;
        _context = context;
        _dropLog = new LogRateLimiter(context.Time, LogInterval);
        _notAllowedLog = new LogRateLimiter(context.Time, LogInterval);
        _tableFullLog = new LogRateLimiter(context.Time, LogInterval);
        _setupLog = new LogRateLimiter(context.Time, LogInterval);
        _crashLog = new LogRateLimiter(context.Time, LogInterval);
    }

    public UdpCounters Counters => _context.Counters;

    public UdpFlowTable Table => _table;

    public ProxyHeaderParser Parser => _parser;

    public UdpUpstreamOpener Opener => _opener;

    public UdpFlowContext Context => _context;

    /// <param name="listener">The socket the datagram arrived on (replies leave from it), with its peer filter.</param>
    /// <param name="datagram">The whole datagram: header then payload.</param>
    /// <param name="from">The sender (load balancer); copied only when a flow is created.</param>
    /// <param name="peerFilter">The listener's allowed-subnets cache.</param>
    public void Handle(Socket listener, ReadOnlySpan<byte> datagram, SocketAddress from, UdpPeerFilter peerFilter)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(peerFilter);
        _context.Counters.OnReceived();
        if (!UdpSocketAddress.TryRead(from, out ProxyAddress balancer))
        {
            _context.Counters.OnDropped(UdpDropReason.InvalidHeader);
            return;
        }

        try
        {
            HandleCore(listener, datagram, from, balancer, peerFilter);
        }
#pragma warning disable CA1031 // The last line of defence: one datagram must never take the listener down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReportCrash(balancer, ex);
        }
    }

    private void HandleCore(Socket listener, ReadOnlySpan<byte> datagram, SocketAddress from, ProxyAddress balancer, UdpPeerFilter peerFilter)
    {
        if (!peerFilter.IsAllowed(balancer))
        {
            ReportNotAllowed(balancer);
            return;
        }

        UdpDatagram classified = UdpDatagramClassifier.Classify(_parser, datagram);
        if (classified.Kind == UdpDatagramKind.Dropped)
        {
            ReportDropped(balancer, classified);
            return;
        }

        var key = new UdpFlowKey(balancer, classified.Client);
        ReadOnlySpan<byte> payload = datagram[classified.PayloadOffset..];

        // Twice at most: the flow found may expire between the lookup and the send.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            UdpFlow? flow = GetOrOpen(listener, key, from);
            if (flow is null)
            {
                return;
            }

            UdpSendStatus status = flow.Send(payload, out SocketError error);
            switch (status)
            {
                case UdpSendStatus.Sent:
                    _context.Counters.OnForwarded(payload.Length);
                    return;
                case UdpSendStatus.Closed:
                    continue;
                default:
                    ReportSendFailed(key, flow.Target, status == UdpSendStatus.WouldBlock, 0, error);
                    return;
            }
        }
    }

    private UdpFlow? GetOrOpen(Socket listener, in UdpFlowKey key, SocketAddress from)
    {
        if (_table.TryGet(key, out UdpFlow? flow))
        {
            return flow;
        }

        if (!_table.TryReserve())
        {
            ReportTableFull(key);
            return null;
        }

        UdpUpstreamOpenResult opened;
        try
        {
            opened = _opener.Open(key);
        }
        catch
        {
            _table.CancelReservation();
            throw;
        }

        if (!opened.Succeeded)
        {
            _table.CancelReservation();
            ReportSetupFailed(key, opened.Error!);
            return null;
        }

        if (opened.UsedFallbackPort)
        {
            ReportFallbackPort(key, opened.Target!);
        }

        try
        {
            flow = new UdpFlow(key, opened.Socket!, listener, UdpSocketAddress.Copy(from), opened.Target!, _table, _context);
        }
        catch
        {
            opened.Socket!.Dispose();
            _table.CancelReservation();
            throw;
        }

        if (!_table.TryAdd(flow, out UdpFlow? existing))
        {
            flow.Close();
            return existing;
        }

        ReportFlowCreated(key, flow.Target, flow.LocalEndPoint);

        flow.Start();
        return flow;
    }

    // The drop reports below count and log (rate-limited) the same way for both engines.

    public void ReportNotAllowed(in ProxyAddress balancer)
    {
        _context.Counters.OnDropped(UdpDropReason.NotAllowed);
        if (_notAllowedLog.TryEnter(out long suppressed))
        {
            UdpLog.NotAllowed(_context.Log, new LoggedAddress(balancer), suppressed);
        }
    }

    public void ReportDropped(in ProxyAddress balancer, in UdpDatagram classified)
    {
        _context.Counters.OnDropped(classified.DropReason);
        if (_dropLog.TryEnter(out long suppressed))
        {
            UdpLog.DatagramDropped(_context.Log, new LoggedAddress(balancer), Describe(classified), suppressed);
        }
    }

    public void ReportTableFull(in UdpFlowKey key)
    {
        _context.Counters.OnDropped(UdpDropReason.TableFull);
        if (_tableFullLog.TryEnter(out long suppressed))
        {
            UdpLog.TableFull(_context.Log, new LoggedAddress(key.Balancer), new LoggedAddress(key.Client), _table.MaxFlows, suppressed);
        }
    }

    public void ReportSetupFailed(in UdpFlowKey key, string error)
    {
        _context.Counters.OnDropped(UdpDropReason.FlowSetupFailed);
        if (_setupLog.TryEnter(out long suppressed))
        {
            UdpLog.FlowSetupFailed(_context.Log, new LoggedAddress(key.Balancer), new LoggedAddress(key.Client), error, suppressed);
        }
    }

    public void ReportFallbackPort(in UdpFlowKey key, IPEndPoint target) =>
        UdpLog.SourcePortInUse(_context.Log, new LoggedAddress(key.Client), target);

    public void ReportFlowCreated(in UdpFlowKey key, IPEndPoint target, EndPoint? local)
    {
        _context.Counters.OnFlowCreated();
        if (_context.Log.IsEnabled(LogLevel.Debug))
        {
            UdpLog.FlowCreated(_context.Log, new LoggedAddress(key.Balancer), new LoggedAddress(key.Client), target, local);
        }
    }

    /// <param name="key">The flow.</param>
    /// <param name="target">Its upstream.</param>
    /// <param name="bufferFull">EAGAIN/ENOBUFS: the send buffer is full.</param>
    /// <param name="errno">Otherwise the errno, or 0 with the managed <paramref name="error"/>.</param>
    /// <param name="error">The managed error when there is no errno.</param>
    public void ReportSendFailed(in UdpFlowKey key, IPEndPoint target, bool bufferFull, int errno, SocketError error = SocketError.Success)
    {
        _context.Counters.OnDropped(UdpDropReason.UpstreamSendFailed);
        if (_context.SendLog.TryEnter(out long suppressed))
        {
            string reason = bufferFull
                ? "the upstream socket's send buffer is full"
                : errno != 0 ? Errno.Describe(errno) : UdpFlow.DescribeError(error);
            UdpLog.UpstreamSendFailed(_context.Log, new LoggedAddress(key.Balancer), new LoggedAddress(key.Client), target, reason, suppressed);
        }
    }

    public void ReportCrash(in ProxyAddress balancer, Exception exception)
    {
        _context.Counters.OnDropped(UdpDropReason.FlowSetupFailed);
        if (_crashLog.TryEnter(out long suppressed))
        {
            UdpLog.DatagramCrashed(_context.Log, new LoggedAddress(balancer), suppressed, exception);
        }
    }

    private static string Describe(UdpDatagram datagram) => datagram.DropReason switch
    {
        UdpDropReason.InvalidHeader => "invalid PROXY header: " + datagram.Error.ToMessage(),
        UdpDropReason.TruncatedHeader => "the datagram ends inside its PROXY v2 header",
        UdpDropReason.Version1 => "PROXY v1 header (UDP needs v2 with a DGRAM family)",
        UdpDropReason.StreamFamily => "PROXY v2 header with a STREAM family (UDP needs UDP4 or UDP6)",
        _ => "PROXY v2 header with an unsupported family (UDP needs UDP4 or UDP6)",
    };
}
