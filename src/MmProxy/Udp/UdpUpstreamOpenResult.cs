using System.Net;
using System.Net.Sockets;

namespace MmProxy.Udp;

/// <summary>A connected upstream socket for a new flow, or why there is none (a message with the fix).</summary>
internal readonly record struct UdpUpstreamOpenResult(Socket? Socket, IPEndPoint? Target, string? Error, bool UsedFallbackPort)
{
    public bool Succeeded => Socket is not null;
}
