using NUnit.Framework;

namespace __ALGO_NAME__
{
    [TestFixture]
    public class AlgorithmTest
    {
        [Test]
        public void GreetsInput()
        {
            Assert.AreEqual("hello algorithmia", new Algorithm().Apply("algorithmia"));
        }
    }
}
