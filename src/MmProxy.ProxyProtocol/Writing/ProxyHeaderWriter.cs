namespace MmProxy.ProxyProtocol;

/// <summary>
/// Writes v1 and v2 headers (for tests, benchmarks, health checks and users). Misuse (an address of
/// the wrong family, a value too long) is a programming error and throws ArgumentException.
/// </summary>
public static partial class ProxyHeaderWriter
{
    /// <summary>Writes <paramref name="header"/> in its version; TLVs and CRC32C are v2 only.</summary>
    public static byte[] Write(ProxyHeader header, bool crc32c = false) => header.Version == ProxyVersion.V1
        ? WriteV1(header.Family, header.Source, header.Destination)
        : WriteV2(header.Command, header.Family, header.Source, header.Destination, header.Tlvs, crc32c);
}
