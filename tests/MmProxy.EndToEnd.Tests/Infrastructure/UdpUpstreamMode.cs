namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal enum UdpUpstreamMode
{
    /// <summary>Answers each datagram with "SOURCE|payload" (SOURCE = the endpoint it came from).</summary>
    Echo,

    /// <summary>Answers each datagram with its payload alone (for datagrams too large for a prefix).</summary>
    EchoPayload,

    /// <summary>Records, never answers.</summary>
    Silent,
}
