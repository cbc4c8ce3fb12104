using System.Net.Sockets;

namespace MmProxy.Tcp;

/// <summary>A connected upstream socket, or why there is none (with the fix, for the log).</summary>
internal readonly record struct UpstreamConnectResult(Socket? Socket, UpstreamConnectError Error, string? Message, bool UsedFallbackPort)
{
    public bool Succeeded => Socket is not null;
}
