using System.Buffers;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;
using MmProxy.Send;

namespace MmProxy.Tcp;

/// <summary>
/// The sending side's second phase (<c>mmproxy send</c>): the header naming the client (the accepted
/// connection's peer) and the address it reached (its local address) is parked as the first bytes
/// for the upstream, which is the remote, connected without spoofing. The relay sends it first.
/// </summary>
internal sealed class TcpHeaderSender : ITcpConnectionStart
{
    private readonly TcpLoopContext _context;
    private readonly TcpConnector _connector;

    public TcpHeaderSender(TcpLoopContext context, TcpConnector connector)
    {
        _context = context;
        _connector = connector;
    }

    public void Start(TcpConnection c)
    {
        c.Phase = TcpPhase.Header; // from here a crash closes it like any connection
        ProxyAddress client = ProxyAddress.FromIPEndPoint(c.Peer);
        ProxyAddress reached = RawSocket.TryGetLocalAddress(c.ClientFd, out NativeSocketAddress local) && local.TryGetProxyAddress(out ProxyAddress address)
            ? address
            : ProxyAddress.FromIPEndPoint(_context.Options.ListenEndPoint);
        byte[] header = ArrayPool<byte>.Shared.Rent(SendHeaderComposer.MaxLength);
        int length = SendHeaderComposer.Write(header, _context.Options, client, reached);
        c.ToUpstream.Pending = header;
        c.ToUpstream.PendingOffset = 0;
        c.ToUpstream.PendingCount = length;
        c.Source = client;
        c.ClientEndPoint = null; // the remote is connected from our own address
        ConnectionLog.HeaderWritten(_context.Log, c.Peer, length);
        _connector.Start(c);
    }
}
