namespace MmProxy.EndToEnd.Tests.Infrastructure;

internal sealed record ReceiveResult(long Bytes, string Sha256, StreamEnd End, string? Error);
