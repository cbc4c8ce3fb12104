namespace MmProxy.ProxyProtocol;

/// <summary>Parser limits.</summary>
public sealed class ProxyHeaderParserOptions
{
    /// <summary>Smallest accepted maximum: a v2 header with IPv6 addresses (16 + 36).</summary>
    public const int MinimumMaxHeaderSize = 52;

    /// <summary>Largest possible v2 header: 16 + 65535.</summary>
    public const int LargestPossibleHeader = 16 + ushort.MaxValue;

    private readonly int _maxHeaderSize = 4096;

    /// <summary>Largest v2 header (signature included) accepted; longer ones are invalid as soon as the length field is read.</summary>
    public int MaxHeaderSize
    {
        get => _maxHeaderSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, MinimumMaxHeaderSize);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, LargestPossibleHeader);
            _maxHeaderSize = value;
        }
    }
}
