namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>A header as written, and the header the parser must return for it.</summary>
internal sealed record GeneratedHeader(ProxyHeader Expected, byte[] Bytes, string Description)
{
    public override string ToString() => Description;
}
