using System.Net;
using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal sealed partial class TestNetwork
{
    /// <summary>
    /// From the client namespace straight to the proxy on the server's address, sending a literal
    /// v1 header that names the client's real endpoint (so the upstream must see exactly it).
    /// </summary>
    public async Task<Socket> ConnectThroughProxyAsync(AddressFamily clientFamily = AddressFamily.InterNetwork, int localPort = 0, int proxyPort = ProxyPort)
    {
        // The proxy's own listener is IPv4 (0.0.0.0); an IPv6 client is expressed in the header.
        var proxy = new IPEndPoint(ServerV4, proxyPort);
        Socket s = await ConnectFromClientAsync(proxy, localPort);
        var local = (IPEndPoint)s.LocalEndPoint!;
        IPEndPoint claimed = clientFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(ClientV6, local.Port) : local;
        IPEndPoint destination = clientFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(ServerV6, proxyPort) : proxy;
        await Streams.SendAllAsync(s, ProxyLines.V1(claimed, destination));
        return s;
    }
}
