using System.Buffers.Binary;
using MmProxy.ProxyProtocol;

namespace MmProxy.Inspect;

/// <summary>The header formats <c>mmproxy inspect</c> recognises, named as it prints them.</summary>
internal static class InspectFormat
{
    public const string ProxyV1 = "PROXY v1";

    public const string ProxyV2 = "PROXY v2";

    public const string Spp = "SPP";

    public static string Of(ProxyHeader header) => header.Version == ProxyVersion.V1 ? ProxyV1 : ProxyV2;

    /// <summary>
    /// The format a PROXY parser verdict other than Complete was about, from the byte it dispatched on;
    /// null when the input is no PROXY header at all (or is empty).
    /// </summary>
    public static string? Of(ProxyParseResult result, ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty || result.Error == ProxyParseError.NotProxyProtocol)
        {
            return null;
        }

        return input[0] == (byte)'P' ? ProxyV1 : ProxyV2;
    }

    /// <summary>SPP is considered only for input that is no PROXY header and starts with its magic.</summary>
    public static bool StartsWithSppMagic(ReadOnlySpan<byte> input) =>
        input.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(input) == SppHeader.Magic;
}
