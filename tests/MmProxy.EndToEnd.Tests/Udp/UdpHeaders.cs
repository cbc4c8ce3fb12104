using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.ProxyProtocol;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// The header bytes a datagram load balancer puts in front of a payload: PROXY v2 (ProxyHeaderWriter)
/// and Simple Proxy Protocol, which the tests encode themselves from the format's definition so the
/// daemon's codec is checked against an independent encoding.
/// </summary>
internal static class UdpHeaders
{
    public const int SppLength = 38;

    /// <summary>The proxy's listening endpoint in the family of <paramref name="family"/> (what a header names as destination).</summary>
    public static IPEndPoint Destination(TestNetwork net, AddressFamily family) => new(net.Server(family), TestNetwork.ProxyPort);

    /// <summary>A PROXY v2 header (command PROXY, UDP4 or UDP6 by the client's family) naming <paramref name="client"/>.</summary>
    public static byte[] V2(TestNetwork net, IPEndPoint client)
    {
        ProxyFamily family = client.AddressFamily == AddressFamily.InterNetworkV6 ? ProxyFamily.Udp6 : ProxyFamily.Udp4;
        return ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, family, ProxyAddress.FromIPEndPoint(client),
            ProxyAddress.FromIPEndPoint(Destination(net, client.AddressFamily)));
    }

    /// <summary>
    /// SPP: magic 0x56EC, client address (16 bytes; IPv4 as ::ffff:a.b.c.d), proxy address (16),
    /// client port, proxy port; network byte order.
    /// </summary>
    public static byte[] Spp(IPEndPoint client, IPEndPoint proxy)
    {
        byte[] header = new byte[SppLength];
        header[0] = 0x56;
        header[1] = 0xEC;
        Sixteen(client.Address).CopyTo(header, 2);
        Sixteen(proxy.Address).CopyTo(header, 18);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(34), (ushort)client.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(36), (ushort)proxy.Port);
        return header;
    }

    public static byte[] Spp(TestNetwork net, IPEndPoint client) => Spp(client, Destination(net, client.AddressFamily));

    private static byte[] Sixteen(IPAddress address) =>
        (address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address).GetAddressBytes();
}
