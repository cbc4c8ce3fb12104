using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MmProxy.ProxyProtocol;

namespace MmProxy.Interop;

/// <summary>
/// A Linux sockaddr_in / sockaddr_in6 held inline (28 bytes, no allocation), as the native loops
/// pass it to bind/connect/accept4/recvmmsg/sendmmsg. Layout: family (2, host order), port (2,
/// network order), then IPv4 address (4) or flowinfo (4) + IPv6 address (16) + scope id (4).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeSocketAddress : IEquatable<NativeSocketAddress>
{
    /// <summary>sizeof(struct sockaddr_in6).</summary>
    public const int Capacity = 28;
    public const int IPv4Length = 16;
    public const int IPv6Length = 28;

    private fixed byte _bytes[Capacity];

    /// <summary>Bytes in use (16 for IPv4, 28 for IPv6; 0 when empty).</summary>
    public int Length { get; set; }

    public readonly int Family
    {
        get
        {
            fixed (byte* p = _bytes)
            {
                return *(ushort*)p;
            }
        }
    }

    public readonly ushort Port
    {
        get
        {
            fixed (byte* p = _bytes)
            {
                return BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(p + 2, 2));
            }
        }
    }

    /// <summary>The raw bytes for a native call (pin the struct first, e.g. a local or fixed field).</summary>
    public Span<byte> AsSpan() => MemoryMarshal.CreateSpan(ref _bytes[0], Capacity);

    public static NativeSocketAddress FromProxyAddress(in ProxyAddress address)
    {
        var result = default(NativeSocketAddress);
        Span<byte> bytes = result.AsSpan();
        if (address.Kind == ProxyAddressKind.IPv4)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, RawSocket.AfInet);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], address.Port);
            address.TryWriteAddressBytes(bytes.Slice(4, 4), out _);
            result.Length = IPv4Length;
        }
        else if (address.Kind == ProxyAddressKind.IPv6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, RawSocket.AfInet6);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], address.Port);
            address.TryWriteAddressBytes(bytes.Slice(8, 16), out _);
            result.Length = IPv6Length;
        }

        return result;
    }

    public static NativeSocketAddress FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var result = default(NativeSocketAddress);
        Span<byte> bytes = result.AsSpan();
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, RawSocket.AfInet);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], (ushort)endPoint.Port);
            endPoint.Address.TryWriteBytes(bytes.Slice(4, 4), out _);
            result.Length = IPv4Length;
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, RawSocket.AfInet6);
            BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], (ushort)endPoint.Port);
            endPoint.Address.TryWriteBytes(bytes.Slice(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes[24..], (uint)endPoint.Address.ScopeId);
            result.Length = IPv6Length;
        }

        return result;
    }

    /// <summary>The endpoint without allocating; false for anything but IPv4/IPv6.</summary>
    public readonly bool TryGetProxyAddress(out ProxyAddress address)
    {
        fixed (byte* p = _bytes)
        {
            var bytes = new ReadOnlySpan<byte>(p, Capacity);
            switch (Family)
            {
                case RawSocket.AfInet when Length >= IPv4Length:
                    address = ProxyAddress.FromAddressBytes(bytes.Slice(4, 4), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
                    return true;
                case RawSocket.AfInet6 when Length >= IPv6Length:
                    address = ProxyAddress.FromAddressBytes(bytes.Slice(8, 16), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]));
                    return true;
                default:
                    address = default;
                    return false;
            }
        }
    }

    /// <summary>Allocates: for logs and the per-connection APIs that take an IPEndPoint.</summary>
    public readonly IPEndPoint? ToIPEndPoint() => TryGetProxyAddress(out ProxyAddress address) ? address.ToIPEndPoint() : null;

    public readonly bool Equals(NativeSocketAddress other)
    {
        if (Length != other.Length)
        {
            return false;
        }

        fixed (byte* a = _bytes)
        {
            return new ReadOnlySpan<byte>(a, Length).SequenceEqual(new ReadOnlySpan<byte>(other._bytes, Length));
        }
    }

    public override readonly bool Equals(object? obj) => obj is NativeSocketAddress other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = default(HashCode);
        fixed (byte* p = _bytes)
        {
            hash.AddBytes(new ReadOnlySpan<byte>(p, Length));
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(NativeSocketAddress left, NativeSocketAddress right) => left.Equals(right);

    public static bool operator !=(NativeSocketAddress left, NativeSocketAddress right) => !left.Equals(right);
}
