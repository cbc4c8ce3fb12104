using System.Net;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>One datagram the SPP receiver accepted: who sent it (the sender's flow socket) and what its header said.</summary>
internal sealed record SppDatagram(IPEndPoint Sender, IPEndPoint Client, IPEndPoint Proxy, byte[] Payload);
