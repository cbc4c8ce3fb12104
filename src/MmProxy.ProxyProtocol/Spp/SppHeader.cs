namespace MmProxy.ProxyProtocol;

/// <summary>
/// Cloudflare's Simple Proxy Protocol header (Spectrum, Tencent EdgeOne): 38 bytes in front of every
/// UDP datagram, network byte order: magic 0x56EC, client address (16), proxy address (16), client
/// port, proxy port. IPv4 addresses travel as IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>) and are
/// reported as IPv4 here. Replies to the client carry the same header.
/// </summary>
public readonly struct SppHeader : IEquatable<SppHeader>
{
    /// <summary>Every SPP header is exactly this long.</summary>
    public const int Length = 38;

    /// <summary>The first two bytes (big-endian).</summary>
    public const ushort Magic = 0x56EC;

    public SppHeader(ProxyAddress client, ProxyAddress proxy)
    {
        if (!client.IsIP || !proxy.IsIP)
        {
            throw new ArgumentException("SPP carries IP addresses only.");
        }

        Client = client;
        Proxy = proxy;
    }

    /// <summary>The original client's address and port.</summary>
    public ProxyAddress Client { get; }

    /// <summary>The proxy's (edge) address and port the client sent to.</summary>
    public ProxyAddress Proxy { get; }

    public bool Equals(SppHeader other) => Client.Equals(other.Client) && Proxy.Equals(other.Proxy);

    public override bool Equals(object? obj) => obj is SppHeader other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Client, Proxy);

    public static bool operator ==(SppHeader left, SppHeader right) => left.Equals(right);

    public static bool operator !=(SppHeader left, SppHeader right) => !left.Equals(right);

    public override string ToString() => $"SPP {Client} -> {Proxy}";
}
