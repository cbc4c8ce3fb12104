using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MmProxy.ProxyProtocol;

namespace MmProxy.Udp;

/// <summary>
/// Reads a received <see cref="SocketAddress"/> (Linux sockaddr_in / sockaddr_in6) into a
/// <see cref="ProxyAddress"/> without allocating, and copies one for a flow to keep.
/// </summary>
internal static class UdpSocketAddress
{
    // sockaddr_in: family(2) port(2, network order) addr(4); sockaddr_in6: family(2) port(2) flowinfo(4) addr(16) scope(4).
    private const int PortOffset = 2;
    private const int IPv4Offset = 4;
    private const int IPv6Offset = 8;

    public static bool TryRead(SocketAddress address, out ProxyAddress endPoint)
    {
        ArgumentNullException.ThrowIfNull(address);
        ReadOnlySpan<byte> bytes = address.Buffer.Span[..address.Size];
        switch (address.Family)
        {
            case AddressFamily.InterNetwork when bytes.Length >= IPv4Offset + 4:
                endPoint = ProxyAddress.FromAddressBytes(bytes.Slice(IPv4Offset, 4), BinaryPrimitives.ReadUInt16BigEndian(bytes[PortOffset..]));
                return true;
            case AddressFamily.InterNetworkV6 when bytes.Length >= IPv6Offset + 16:
                endPoint = ProxyAddress.FromAddressBytes(bytes.Slice(IPv6Offset, 16), BinaryPrimitives.ReadUInt16BigEndian(bytes[PortOffset..]));
                return true;
            default:
                endPoint = default;
                return false;
        }
    }

    /// <summary>A copy the caller may keep (the receive loop reuses its own instance).</summary>
    public static SocketAddress Copy(SocketAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }
}
