namespace MmProxy.Routing;

/// <summary>One rule of our nft chain: what the checks call it, and its text as `nft list` prints it.</summary>
internal sealed record NftRule(string Label, string Text);
