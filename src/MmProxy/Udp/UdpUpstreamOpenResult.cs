using System.Net;

namespace MmProxy.Udp;

/// <summary>A connected upstream descriptor for a new flow, or why there is none (a message with the fix).</summary>
internal readonly record struct UdpUpstreamOpenResult(int Fd, IPEndPoint? Target, string? Error, bool UsedFallbackPort)
{
    public bool Succeeded => Error is null;
}
