using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>Literal PROXY v1 lines, written by hand so the tests do not depend on our own writer.</summary>
internal static class ProxyLines
{
    public static byte[] V1(IPEndPoint source, IPEndPoint destination)
    {
        string family = source.AddressFamily == AddressFamily.InterNetworkV6 ? "TCP6" : "TCP4";
        return Encoding.ASCII.GetBytes($"PROXY {family} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");
    }
}
