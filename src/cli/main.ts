console.log("mp4forge");
