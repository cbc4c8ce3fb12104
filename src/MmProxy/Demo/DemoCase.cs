using System.Net;
using MmProxy.ProxyProtocol;

namespace MmProxy.Demo;

/// <summary>
/// One demo connection: the header a load balancer would send and what the upstream must then see.
/// <see cref="Source"/> is null for a LOCAL header (a health check), which must not be spoofed.
/// </summary>
internal sealed record DemoCase(ProxyVersion Version, ProxyCommand Command, IPEndPoint? Source, IPEndPoint Destination)
{
    public string Label => Source is null
        ? $"v{(int)Version} LOCAL (health check)"
        : $"v{(int)Version} {(Source.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "TCP6" : "TCP4")} from {Source}";

    public byte[] Header()
    {
        bool v6 = Destination.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        ProxyFamily family = v6 ? ProxyFamily.Tcp6 : ProxyFamily.Tcp4;
        var destination = ProxyAddress.FromIPEndPoint(Destination);
        if (Source is null)
        {
            return ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, default, default);
        }
        var source = ProxyAddress.FromIPEndPoint(Source);
        return Version == ProxyVersion.V1
            ? ProxyHeaderWriter.WriteV1(family, source, destination)
            : ProxyHeaderWriter.WriteV2(Command, family, source, destination);
    }

    /// <summary>Example clients from the documentation ranges (RFC 5737, RFC 3849).</summary>
    public static IReadOnlyList<DemoCase> Examples(int proxyPort)
    {
        var v4 = new IPEndPoint(IPAddress.Parse("192.0.2.1"), proxyPort);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), proxyPort);
        return
        [
            new(ProxyVersion.V1, ProxyCommand.Proxy, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 41000), v4),
            new(ProxyVersion.V1, ProxyCommand.Proxy, new IPEndPoint(IPAddress.Parse("2001:db8::7"), 41001), v6),
            new(ProxyVersion.V2, ProxyCommand.Proxy, new IPEndPoint(IPAddress.Parse("198.51.100.23"), 41002), v4),
            new(ProxyVersion.V2, ProxyCommand.Proxy, new IPEndPoint(IPAddress.Parse("2001:db8:beef::23"), 41003), v6),
            new(ProxyVersion.V2, ProxyCommand.Local, null, v4),
        ];
    }
}
