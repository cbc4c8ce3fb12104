using System.Net;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>One datagram as the upstream saw it.</summary>
internal sealed record UdpDatagramRecord(IPEndPoint Source, byte[] Payload);
