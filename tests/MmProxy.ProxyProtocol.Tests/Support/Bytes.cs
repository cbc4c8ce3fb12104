using System.Text;

namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>Test helpers for building inputs.</summary>
internal static class Bytes
{
    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
