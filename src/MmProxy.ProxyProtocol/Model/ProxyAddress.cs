using System.Buffers.Binary;
using System.Net;
using MmProxy.ProxyProtocol.Internal;

namespace MmProxy.ProxyProtocol;

/// <summary>
/// An endpoint carried by a PROXY header. IP addresses are stored inline (16 bytes + port) so the
/// parser produces them without allocating; a UNIX path is a string.
/// </summary>
public readonly struct ProxyAddress : IEquatable<ProxyAddress>
{
    // Address bytes in network order: IPv4 uses the first 4 bytes of _high.
    private readonly ulong _high;
    private readonly ulong _low;

    private ProxyAddress(ProxyAddressKind kind, ulong high, ulong low, ushort port, string? unixPath)
    {
        Kind = kind;
        _high = high;
        _low = low;
        Port = port;
        UnixPath = unixPath;
    }

    public ProxyAddressKind Kind { get; }

    public ushort Port { get; }

    public string? UnixPath { get; }

    /// <summary>No address (LOCAL, UNSPEC, v1 UNKNOWN).</summary>
    public static ProxyAddress None => default;

    public bool IsIP => Kind is ProxyAddressKind.IPv4 or ProxyAddressKind.IPv6;

    public static ProxyAddress FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> bytes = stackalloc byte[16];
        if (!endPoint.Address.TryWriteBytes(bytes, out int written))
        {
            throw new ArgumentException("Unsupported address.", nameof(endPoint));
        }

        return FromAddressBytes(bytes[..written], (ushort)endPoint.Port);
    }

    public static ProxyAddress FromIPAddress(IPAddress address, ushort port) =>
        FromIPEndPoint(new IPEndPoint(address ?? throw new ArgumentNullException(nameof(address)), port));

    /// <summary>An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order.</summary>
    public static ProxyAddress FromAddressBytes(ReadOnlySpan<byte> address, ushort port) => address.Length switch
    {
        4 => new ProxyAddress(ProxyAddressKind.IPv4, (ulong)BinaryPrimitives.ReadUInt32BigEndian(address) << 32, 0, port, null),
        16 => new ProxyAddress(
            ProxyAddressKind.IPv6,
            BinaryPrimitives.ReadUInt64BigEndian(address),
            BinaryPrimitives.ReadUInt64BigEndian(address[8..]),
            port,
            null),
        _ => throw new ArgumentException("An IP address is 4 or 16 bytes.", nameof(address)),
    };

    /// <summary>A UNIX socket path; a leading '@' denotes an abstract socket (a NUL byte on the wire).</summary>
    public static ProxyAddress FromUnixPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new ProxyAddress(ProxyAddressKind.Unix, 0, 0, 0, path);
    }

    internal static ProxyAddress FromIPv4(uint addressBigEndianValue, ushort port) =>
        new(ProxyAddressKind.IPv4, (ulong)addressBigEndianValue << 32, 0, port, null);

    internal static ProxyAddress FromIPv6(ulong high, ulong low, ushort port) =>
        new(ProxyAddressKind.IPv6, high, low, port, null);

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!TryWriteAddressBytes(bytes, out int written))
        {
            throw new InvalidOperationException("Not an IP address.");
        }

        return new IPAddress(bytes[..written]);
    }

    public IPEndPoint ToIPEndPoint() => new(ToIPAddress(), Port);

    /// <summary>Writes the 4 (IPv4) or 16 (IPv6) address bytes in network order.</summary>
    public bool TryWriteAddressBytes(Span<byte> destination, out int written)
    {
        switch (Kind)
        {
            case ProxyAddressKind.IPv4 when destination.Length >= 4:
                BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(_high >> 32));
                written = 4;
                return true;
            case ProxyAddressKind.IPv6 when destination.Length >= 16:
                BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
                BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
                written = 16;
                return true;
            default:
                written = 0;
                return false;
        }
    }

    /// <summary>"192.0.2.1:1234", "[2001:db8::1]:443", the UNIX path, or "" for none.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        switch (Kind)
        {
            case ProxyAddressKind.None:
                return true;
            case ProxyAddressKind.Unix:
                if (!UnixPath.AsSpan().TryCopyTo(destination))
                {
                    return false;
                }

                charsWritten = UnixPath!.Length;
                return true;
            default:
                return TryFormatIP(destination, out charsWritten);
        }
    }

    private bool TryFormatIP(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        Span<char> buffer = stackalloc char[64];
        int n = 0;
        if (Kind == ProxyAddressKind.IPv6)
        {
            buffer[n++] = '[';
        }

        n += FormatAddress(buffer[n..]);
        if (Kind == ProxyAddressKind.IPv6)
        {
            buffer[n++] = ']';
        }

        buffer[n++] = ':';
        Port.TryFormat(buffer[n..], out int portChars, default, System.Globalization.CultureInfo.InvariantCulture);
        n += portChars;
        if (!buffer[..n].TryCopyTo(destination))
        {
            return false;
        }

        charsWritten = n;
        return true;
    }

    /// <summary>The address alone (no port, no brackets) as text; 0 chars for non-IP kinds.</summary>
    internal int FormatAddress(Span<char> destination, bool allowIsatap = true)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!TryWriteAddressBytes(bytes, out int written))
        {
            return 0;
        }

        return written == 4
            ? IPTextFormatter.FormatIPv4(bytes[..4], destination)
            : IPTextFormatter.FormatIPv6(bytes, destination, allowIsatap);
    }

    public override string ToString()
    {
        if (Kind == ProxyAddressKind.Unix)
        {
            return UnixPath!;
        }

        Span<char> buffer = stackalloc char[64];
        return TryFormat(buffer, out int n) ? new string(buffer[..n]) : string.Empty;
    }

    public bool Equals(ProxyAddress other) =>
        Kind == other.Kind && _high == other._high && _low == other._low && Port == other.Port &&
        string.Equals(UnixPath, other.UnixPath, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is ProxyAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, _high, _low, Port, UnixPath);

    public static bool operator ==(ProxyAddress left, ProxyAddress right) => left.Equals(right);

    public static bool operator !=(ProxyAddress left, ProxyAddress right) => !left.Equals(right);
}
