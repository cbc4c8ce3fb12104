namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal enum UdpUpstreamMode
{
    /// <summary>Answers each datagram with "SOURCE|payload" (SOURCE = the endpoint it came from).</summary>
    Echo,

    /// <summary>Records, never answers.</summary>
    Silent,
}
