using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests.Properties;

public sealed class PrefixTests
{
    [Theory]
    [MemberData(nameof(SampleHeaders.Indexes), MemberType = typeof(SampleHeaders))]
    public void Every_strict_prefix_of_a_valid_header_needs_more(int index)
    {
        byte[] header = SampleHeaders.All[index];
        Assert.Equal(ProxyParseStatus.Complete, ProxyHeaderParser.Default.Parse(header).Status);
        for (int k = 0; k < header.Length; k++)
        {
            ProxyParseResult r = ProxyHeaderParser.Default.Parse(header.AsSpan(0, k));
            Assert.True(r.Status == ProxyParseStatus.NeedMore, $"prefix {k}/{header.Length}: {r}");
        }
    }

    [Theory]
    [MemberData(nameof(SampleHeaders.Indexes), MemberType = typeof(SampleHeaders))]
    public void Header_plus_any_payload_consumes_exactly_the_header(int index)
    {
        byte[] header = SampleHeaders.All[index];
        ProxyParseResult alone = ProxyHeaderParser.Default.Parse(header);
        var random = new Random(index);
        for (int i = 0; i < 200; i++)
        {
            var payload = new byte[random.Next(0, 300)];
            random.NextBytes(payload);
            if (i % 3 == 0 && payload.Length > 0)
            {
                // Payloads that look like more headers.
                byte[] other = SampleHeaders.All[random.Next(SampleHeaders.All.Count)];
                other.AsSpan(0, Math.Min(payload.Length, other.Length)).CopyTo(payload);
            }

            ProxyParseResult r = ProxyHeaderParser.Default.Parse([.. header, .. payload]);
            Assert.Equal(ProxyParseStatus.Complete, r.Status);
            Assert.Equal(header.Length, r.BytesConsumed);
            Assert.True(ParseResults.AreEqual(alone, r));
        }
    }

    [Theory]
    [MemberData(nameof(SampleHeaders.Indexes), MemberType = typeof(SampleHeaders))]
    public void Byte_by_byte_agrees_with_whole(int index) =>
        Assert.Null(ParseResults.CheckPrefixConsistency(ProxyHeaderParser.Default, [.. SampleHeaders.All[index], 1, 2, 3]));
}
